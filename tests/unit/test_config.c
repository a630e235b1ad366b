/*
 * test_config.c: lib/odb/config.c against `git config --file F --list` on
 * every form git writes (sections, subsections, valueless keys, quotes,
 * escapes, comments, continuations) and against git's refusal of broken
 * files; booleans as git --type=bool reads them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "odb/config.h"
#include "packwin/errors.h"
#include "testutil.h"

static const char *const configs[] = {
	"[core]\n\tbare = true\n\trepositoryformatversion = 0\n",
	"[core]\nbare\n[Core]\n\tBare = false\n",
	"[remote \"origin\"]\n\turl = https://example.invalid/x.git\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n",
	"[remote \"Mixed Case\"]\n\tURL = x\n",
	"[a]\n\tk = \"quoted value with  spaces \"\n\tl = unquoted   trailing   \n",
	"[a]\n\tk = one \\\n\ttwo\n",
	"[a]\n\tk = tab\\there\\nnewline \\\"q\\\" back\\\\slash\n",
	"# comment\n; comment\n[a] ; trailing comment\n\tk = v # comment\n\tl = \"v # not a comment\"\n",
	"[a.b]\n\tc = old style subsection\n",
	"[extensions]\n\tobjectFormat = sha256\n",
	"\xef\xbb\xbf[bom]\n\tk = v\n",
	"[a]\n\tk=v\n\tk=w\n\tempty =\n",
	"k = before any section\n[a]\n\tb = c\n",
	"",
};

static const char *const broken[] = {
	"[a\n\tk = v\n",           /* section not closed */
	"[a]\n\tk = \"open\n",     /* quote not closed */
	"[a]\n\tk = bad \\q escape\n",
	"[a]\n\t1k = v\n",         /* keys start with a letter */
	"[a \"sub]\n",
};

static void list_of(char *out, size_t size, const pw_config *cfg)
{
	size_t i, n = 0;

	out[0] = '\0';
	for (i = 0; i < cfg->e.n && n < size; i++)
		n += (size_t)snprintf(out + n, size - n, "%s%s%s\n", cfg->e.v[i].key,
			cfg->e.v[i].value ? "=" : "", cfg->e.v[i].value ? cfg->e.v[i].value : "");
}

static void test_against_git(void **state)
{
	char want[8192], got[8192];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(configs) / sizeof(*configs); i++) {
		pw_config cfg;
		FILE *f = fopen(tmp("cfg"), "w");
		size_t len;

		assert_non_null(f);
		fputs(configs[i], f);
		fclose(f);
		sh("git config --file cfg --list >want.txt");
		f = fopen(tmp("want.txt"), "r");
		assert_non_null(f);
		len = fread(want, 1, sizeof(want) - 1, f);
		want[len] = '\0';
		fclose(f);
		if (pw__config_read(&cfg, tmp("cfg")) < 0)
			fail_msg("config %zu: %s", i, pw_error_last());
		list_of(got, sizeof(got), &cfg);
		if (strcmp(got, want))
			fail_msg("config %zu:\n%s\ngit lists:\n%s\nwe list:\n%s", i, configs[i], want, got);
		pw__config_free(&cfg);
	}
}

static void test_broken(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(broken) / sizeof(*broken); i++) {
		pw_config cfg;
		FILE *f = fopen(tmp("cfg"), "w");

		assert_non_null(f);
		fputs(broken[i], f);
		fclose(f);
		/* git refuses each of them */
		assert_int_not_equal(sh_rc("git config --file cfg --list >/dev/null 2>&1"), 0);
		assert_int_equal(pw__config_read(&cfg, tmp("cfg")), PW_ECORRUPT);
		assert_non_null(strstr(pw_error_last(), "bad config line"));
	}
}

static void test_booleans(void **state)
{
	static const char *const values[] = {
		"true", "yes", "on", "1", "42", "TRUE", "false", "no", "off", "0", "", NULL,
	};
	size_t i;

	(void)state;
	for (i = 0; values[i]; i++) {
		char want[64];
		pw_config cfg;
		FILE *f = fopen(tmp("cfg"), "w");

		assert_non_null(f);
		fprintf(f, "[core]\n\tmultiPackIndex = %s\n[core]\n\tflag\n", values[i]);
		fclose(f);
		sh_out(want, sizeof(want), "git config --file cfg --type=bool core.multipackindex");
		assert_int_equal(pw__config_read(&cfg, tmp("cfg")), 0);
		assert_int_equal(pw__config_bool(&cfg, "core.multipackindex", -1),
			!strcmp(want, "true"));
		assert_int_equal(pw__config_bool(&cfg, "core.flag", 0), 1);
		assert_int_equal(pw__config_bool(&cfg, "core.absent", 7), 7);
		pw__config_free(&cfg);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_against_git, make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_broken, make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_booleans, make_tmpdir, remove_tmpdir),
	};

	git_test_env();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
