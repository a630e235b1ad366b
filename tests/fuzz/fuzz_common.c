/* fuzz_common.c: the temporary folder, file helpers and budgets shared by the fuzz targets. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fuzz_common.h"

static char tmp[256];
static pid_t tmp_owner;

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void remove_tmpdir(void)
{
	/* only the process that made the folder removes it (a forked child exits too) */
	if (tmp[0] && getpid() == tmp_owner)
		nftw(tmp, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

void fz_fail(const char *what)
{
	fprintf(stderr, "fuzz: broken invariant: %s (last error: %s)\n", what, pw_error_last());
	abort();
}

const char *fz_tmpdir(void)
{
	const char *base;
	int n;

	if (tmp[0])
		return tmp;
	if (access("/dev/shm", W_OK) == 0)
		base = "/dev/shm";
	else if (!(base = getenv("TMPDIR")) || !*base)
		base = "/tmp";
	n = snprintf(tmp, sizeof(tmp), "%s/packwin-fuzz-XXXXXX", base);
	if (n < 0 || (size_t)n >= sizeof(tmp) || !mkdtemp(tmp)) {
		tmp[0] = '\0';
		fz_fail("cannot make a temporary folder");
	}
	tmp_owner = getpid();
	atexit(remove_tmpdir);
	return tmp;
}

void fz_path(char *buf, size_t cap, const char *rel)
{
	int n = snprintf(buf, cap, "%s/%s", fz_tmpdir(), rel);
	if (n < 0 || (size_t)n >= cap)
		fz_fail("temporary path too long");
}

void fz_write(const char *path, const void *data, size_t len)
{
	const unsigned char *p = data;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		fz_fail("cannot write a temporary file");
	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			fz_fail("cannot write a temporary file");
		p += w;
		len -= (size_t)w;
	}
	if (close(fd) < 0)
		fz_fail("cannot close a temporary file");
}

void fz_copy_tree(const char *from, const char *to)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		fz_fail("fork");
	if (pid == 0) {
		execlp("cp", "cp", "-R", from, to, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		fz_fail("cp -R of a fixture failed");
}

void fz_mkdirs(const char *path)
{
	char buf[512];
	size_t i, len = strlen(path);

	if (len >= sizeof(buf))
		fz_fail("path too long");
	memcpy(buf, path, len + 1);
	for (i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			fz_fail("mkdir");
		buf[i] = path[i];
	}
}

void fz_tiny_wm_options(pw_wm_options *o)
{
	pw_wm_options d = PW_WM_OPTIONS_INIT;

	*o = d;
	o->window_size = 8 << 10;
	o->memory_limit = 64 << 10;
	o->fd_limit = 8;
}
