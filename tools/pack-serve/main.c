/* main.c: pack-serve's entry point: options, defaults from the machine's limits, opening ROOT, and running the server. */
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cli.h"
#include "server.h"
#include "site.h"

#include "util/banned.h"

/* Exit statuses (docs/pack-serve.1.md). Never renumber. */
enum ps_exit {
	PS_EXIT_OK = 0,       /* served until SIGINT/SIGTERM, shut down cleanly */
	PS_EXIT_FAIL = 1,     /* the server failed while running */
	PS_EXIT_USAGE = 2,    /* bad usage */
	PS_EXIT_ROOT = 3,     /* ROOT cannot be opened or is not served */
	PS_EXIT_LISTEN = 4    /* cannot listen on the address, or open the access log */
};

/* Descriptors kept aside from --max-connections: stdio, log, epoll and eventfds, the listener. */
#define PS_FD_MARGIN 32
#define PS_DEFAULT_CHUNK (512u * 1024)
#define PS_DEFAULT_FD_LIMIT 64

static void usage(void)
{
	printf(
		"usage: pack-serve [OPTIONS] ROOT\n"
		"\n"
		"Serve the git repositories in ROOT over HTTP (git's dumb protocol and\n"
		"plain downloads), GET and HEAD only, file bodies with sendfile(2).\n"
		"ROOT is one repository (served at /) or a folder of repositories\n"
		"(NAME.git or NAME/.git, served at /NAME.git/ and /NAME/).\n"
		"\n"
		"Options:\n"
		"  -l, --listen ADDR:PORT     address to listen on (default 127.0.0.1:8080;\n"
		"                             port 0 picks a free one; [::1]:PORT for IPv6)\n"
		"  --threads N                worker threads (default: online CPUs)\n"
		"  --max-connections N        connections held at once; more wait in the\n"
		"                             backlog (default: the descriptor limit less a margin)\n"
		"  --idle-timeout SECONDS     close connections idle, trickling a request, or\n"
		"                             stalled while sending, this long (default 60)\n"
		"  --shutdown-timeout SECONDS grace for responses in flight at SIGTERM (default 10)\n"
		"  --fd-limit N               most served files open at once (default 64)\n"
		"  --no-sendfile              copy file bodies with pread and send instead\n"
		"  --access-log FILE          one line per request to FILE ('-': standard output)\n"
		"  --metrics-listen ADDR:PORT serve Prometheus metrics at /metrics there (default: off)\n"
		"  -h, --help                 show this help\n"
		"  --version                  show the versions of pack-serve and libpackwin\n"
		"\n"
		"Once listening, it prints 'listening on http://ADDR:PORT/'. SIGINT or\n"
		"SIGTERM stops it. See pack-serve(1).\n");
}

static int usage_error(const char *fmt, ...) CLI_PRINTF(1, 2);

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cli_vusage_error("pack-serve", NULL, fmt, ap);
	va_end(ap);
	return PS_EXIT_USAGE;
}

/* Decimal digits only, no sign or spaces, within [min, max]. */
static int parse_uint(unsigned int *out, const char *opt, const char *s, unsigned int min,
	unsigned int max)
{
	uint64_t v = 0;
	const char *p;

	if (!*s)
		return usage_error("%s: '' is not a number", opt);
	for (p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return usage_error("%s: '%s' is not a number", opt, s);
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > max)
			return usage_error("%s: '%s' is too large (at most %u)", opt, s, max);
	}
	if (v < min)
		return usage_error("%s: '%s' is too small (at least %u)", opt, s, min);
	*out = (unsigned int)v;
	return 0;
}

/* A SIZE, as packcat's, within [min, max]. */
static int parse_size(size_t *out, const char *opt, const char *s, uint64_t min, uint64_t max)
{
	char why[80];
	uint64_t v;

	if (cli_parse_size(&v, s, min, max, why, sizeof(why)) < 0)
		return usage_error("%s: '%s' is %s", opt, s, why);
	*out = (size_t)v;
	return 0;
}

/* Raise the soft descriptor limit to the hard one (so 10,000 connections fit when allowed); return it. */
static rlim_t raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 1024;
	if (rl.rlim_cur < rl.rlim_max && rl.rlim_max != RLIM_INFINITY) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	return rl.rlim_cur == RLIM_INFINITY ? (rlim_t)1 << 20 : rl.rlim_cur;
}

enum {
	OPT_THREADS = CLI_OPT_LONG,
	OPT_MAX_CONNECTIONS,
	OPT_IDLE_TIMEOUT,
	OPT_SHUTDOWN_TIMEOUT,
	OPT_FD_LIMIT,
	OPT_NO_SENDFILE,
	OPT_ACCESS_LOG,
	OPT_METRICS_LISTEN,
	OPT_CHUNK,
	OPT_VERSION
};

static const struct option options[] = {
	{ "listen", required_argument, NULL, 'l' },
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ "max-connections", required_argument, NULL, OPT_MAX_CONNECTIONS },
	{ "idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT },
	{ "shutdown-timeout", required_argument, NULL, OPT_SHUTDOWN_TIMEOUT },
	{ "fd-limit", required_argument, NULL, OPT_FD_LIMIT },
	{ "no-sendfile", no_argument, NULL, OPT_NO_SENDFILE },
	{ "access-log", required_argument, NULL, OPT_ACCESS_LOG },
	{ "metrics-listen", required_argument, NULL, OPT_METRICS_LISTEN },
	/* Undocumented, for benchmarks: body bytes per connection per loop turn. */
	{ "chunk", required_argument, NULL, OPT_CHUNK },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

/* Parse argv into `o` and `*root`. Returns -1 to go on, or an exit status. */
static int parse_args(struct ps_server_opts *o, unsigned int *fd_limit, int *max_given,
	const char **root, int argc, char **argv)
{
	char err[512];
	long ncpu;
	int c, rc;

	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	o->listen = "127.0.0.1:8080";
	o->threads = ncpu > 0 ? (unsigned int)(ncpu > 256 ? 256 : ncpu) : 1;
	o->idle_timeout = 60;
	o->shutdown_timeout = 10;
	o->chunk = PS_DEFAULT_CHUNK;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":l:h", options, NULL)) != -1) {
		rc = 0;
		switch (c) {
		case 'l':
			o->listen = optarg;
			break;
		case OPT_THREADS:
			rc = parse_uint(&o->threads, "--threads", optarg, 1, 1024);
			break;
		case OPT_MAX_CONNECTIONS:
			rc = parse_uint(&o->max_connections, "--max-connections", optarg, 1, 1u << 24);
			*max_given = 1;
			break;
		case OPT_IDLE_TIMEOUT:
			rc = parse_uint(&o->idle_timeout, "--idle-timeout", optarg, 1, 86400);
			break;
		case OPT_SHUTDOWN_TIMEOUT:
			rc = parse_uint(&o->shutdown_timeout, "--shutdown-timeout", optarg, 0, 86400);
			break;
		case OPT_FD_LIMIT:
			rc = parse_uint(fd_limit, "--fd-limit", optarg, 1, 1u << 20);
			break;
		case OPT_NO_SENDFILE:
			o->no_sendfile = 1;
			break;
		case OPT_ACCESS_LOG:
			o->access_log = optarg;
			break;
		case OPT_METRICS_LISTEN:
			o->metrics_listen = optarg;
			break;
		case OPT_CHUNK:
			/* Below 2 GiB, as one sendfile call moves at most that much anyway. */
			rc = parse_size(&o->chunk, "--chunk", optarg, 1, (uint64_t)1 << 30);
			break;
		case 'h':
			usage();
			return PS_EXIT_OK;
		case OPT_VERSION:
			cli_print_version("pack-serve");
			return PS_EXIT_OK;
		default:
			cli_getopt_error("pack-serve", NULL, c, argv);
			return PS_EXIT_USAGE;
		}
		if (rc)
			return rc;
	}
	if (ps_server_check_listen(o->listen, err, sizeof(err)) < 0)
		return usage_error("%s", err);
	if (o->metrics_listen && ps_server_check_listen(o->metrics_listen, err, sizeof(err)) < 0)
		return usage_error("--metrics-%s", err + 2);
	if (optind >= argc)
		return usage_error("no ROOT given");
	if (optind + 1 < argc)
		return usage_error("one ROOT only ('%s' is extra)", argv[optind + 1]);
	*root = argv[optind];
	return -1;
}

int main(int argc, char **argv)
{
	struct ps_server_opts o;
	struct ps_server *srv = NULL;
	struct ps_site *site = NULL;
	const char *root = NULL;
	unsigned int fd_limit = PS_DEFAULT_FD_LIMIT, budget;
	char err[1024];
	rlim_t nofile;
	int max_given = 0, rc;

	memset(&o, 0, sizeof(o));
	if ((rc = parse_args(&o, &fd_limit, &max_given, &root, argc, argv)) >= 0)
		return fflush(stdout) == 0 ? rc : PS_EXIT_FAIL;
	nofile = raise_nofile();
	/* What is left for connections once served files and our own descriptors are counted. */
	if (nofile > (rlim_t)fd_limit + PS_FD_MARGIN + 2u * o.threads)
		budget = (unsigned int)((nofile - fd_limit - PS_FD_MARGIN - 2u * o.threads) > (1u << 24) ?
			(1u << 24) : (nofile - fd_limit - PS_FD_MARGIN - 2u * o.threads));
	else
		budget = 1;
	if (!max_given) {
		o.max_connections = budget;
	} else if (o.max_connections > budget) {
		fprintf(stderr, "pack-serve: --max-connections %u is more than the descriptor limit "
			"allows; using %u\n", o.max_connections, budget);
		o.max_connections = budget;
	}
	if (ps_site_open(&site, root, fd_limit, err, sizeof(err)) < 0) {
		fprintf(stderr, "pack-serve: %s\n", err);
		return PS_EXIT_ROOT;
	}
	/* A client may pause that long between reading the pack list and asking for a pack. */
	ps_site_set_keep(site, o.idle_timeout);
	if (ps_server_new(&srv, &o, site, err, sizeof(err)) < 0) {
		fprintf(stderr, "pack-serve: %s\n", err);
		ps_site_free(site);
		return PS_EXIT_LISTEN;
	}
	printf("listening on %s\n", ps_server_url(srv));
	if (ps_server_metrics_url(srv))
		printf("metrics on %s\n", ps_server_metrics_url(srv));
	if (fflush(stdout) != 0)
		fprintf(stderr, "pack-serve: cannot write to standard output\n");
	rc = ps_server_run(srv) < 0 ? PS_EXIT_FAIL : PS_EXIT_OK;
	ps_server_free(srv);
	ps_site_free(site);
	return rc;
}
