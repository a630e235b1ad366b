/* banned.h: functions we never call; included last in every .c file. */
#ifndef PW_UTIL_BANNED_H
#define PW_UTIL_BANNED_H

#define PW_BANNED(func) sorry_##func##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) PW_BANNED(strcpy)
#undef strcat
#define strcat(x, y) PW_BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) PW_BANNED(strncpy)
#undef strncat
#define strncat(x, y, n) PW_BANNED(strncat)
#undef sprintf
#define sprintf(...) PW_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) PW_BANNED(vsprintf)
#undef strtok
#define strtok(x, y) PW_BANNED(strtok)
#undef gets
#define gets(x) PW_BANNED(gets)
#undef atoi
#define atoi(x) PW_BANNED(atoi)

#endif
