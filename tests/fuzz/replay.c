/*
 * replay.c: a main() for the fuzz targets in builds without libFuzzer (gcc,
 * the plain and ASan builds): runs the target once on each file named, or
 * on each file of each folder named, in name order. A crash or a broken
 * invariant aborts; otherwise it prints how many inputs ran.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_common.h"

static int run_file(const char *path)
{
	unsigned char *buf;
	long len;
	FILE *f = fopen(path, "rb");

	if (!f || fseek(f, 0, SEEK_END) < 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) < 0) {
		fprintf(stderr, "replay: cannot read %s\n", path);
		if (f)
			fclose(f);
		return -1;
	}
	/* exactly sized, as libFuzzer passes inputs, so ASan sees one byte too far */
	if (!(buf = malloc(len ? (size_t)len : 1)) || fread(buf, 1, (size_t)len, f) != (size_t)len) {
		fprintf(stderr, "replay: cannot read %s\n", path);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)len);
	free(buf);
	return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int main(int argc, char **argv)
{
	unsigned long runs = 0;
	int i, failed = 0;

	for (i = 1; i < argc; i++) {
		struct stat st;
		struct dirent **list;
		int n, j;

		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "replay: %s: no such file or folder\n", argv[i]);
			return 2;
		}
		if (!S_ISDIR(st.st_mode)) {
			failed |= run_file(argv[i]) < 0;
			runs++;
			continue;
		}
		if ((n = scandir(argv[i], &list, NULL, by_name)) < 0) {
			fprintf(stderr, "replay: cannot list %s\n", argv[i]);
			return 2;
		}
		for (j = 0; j < n; j++) {
			char path[4096];
			struct stat est;
			snprintf(path, sizeof(path), "%s/%s", argv[i], list[j]->d_name);
			if (list[j]->d_name[0] != '.' && stat(path, &est) == 0 && S_ISREG(est.st_mode)) {
				failed |= run_file(path) < 0;
				runs++;
			}
			free(list[j]);
		}
		free(list);
	}
	printf("replayed %lu inputs\n", runs);
	return failed ? 1 : 0;
}
