/* common.h: export macros and basic types shared by every packwin header. */
#ifndef PACKWIN_COMMON_H
#define PACKWIN_COMMON_H

#include <stddef.h>
#include <stdint.h>

#if defined(PACKWIN_STATIC) || !defined(__GNUC__)
#define PW_EXTERN(type) extern type
#else
#define PW_EXTERN(type) extern __attribute__((visibility("default"))) type
#endif

#ifdef __cplusplus
#define PW_BEGIN_DECL extern "C" {
#define PW_END_DECL }
#else
#define PW_BEGIN_DECL
#define PW_END_DECL
#endif

PW_BEGIN_DECL

/**
 * Free a string that a packwin function returned as the caller's to free
 * (pw_repo_head_target); accepts NULL. Never use free(3) on such a string:
 * it comes from packwin's allocator (packwin/sys/alloc.h), which need not
 * be malloc's.
 */
PW_EXTERN(void) pw_string_free(char *s);

PW_END_DECL

#endif
