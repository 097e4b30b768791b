#include "cli/daemon.h"

#include "api/members.h"
#include "auth/directory.h"
#include "auth/token.h"
#include "config/settings.h"
#include "http/metrics.h"
#include "http/router.h"
#include "http/server.h"
#include "node.h"
#include "spam/service.h"
#include "alert/service.h" /* early warning */
#include "util/log.h"
#include "util/xalloc.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sodium.h>
#include <sys/stat.h>

static char *path_join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = xmalloc(n);
	snprintf(p, n, "%s/%s", dir, name);
	return p;
}

/* Writes a secret file readable by its owner alone. */
static int write_secret(const char *path, const void *data, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return ERR_IO;
	int ok = write(fd, data, n) == (ssize_t)n && fsync(fd) == 0;
	close(fd);
	return ok ? ERR_OK : ERR_IO;
}

/* Settings: defaults, then DATA/atalaya.conf, then flags. */
static int load_config(struct config *cfg, int *argc, char **argv)
{
	struct config pre;
	struct err_detail err;
	char **copy = xcalloc((size_t)*argc + 1, sizeof(*copy));
	int n = *argc, rc;

	err_clear(&err);
	memcpy(copy, argv, (size_t)n * sizeof(*copy));
	config_init(&pre);
	rc = config_apply_flags(&pre, &n, copy, &err);
	free(copy);
	config_init(cfg);
	if (!rc && *pre.data_dir) {
		char *file = path_join(pre.data_dir, "atalaya.conf");
		rc = config_load_file(cfg, file, &err);
		free(file);
	}
	config_release(&pre);
	if (!rc)
		rc = config_apply_flags(cfg, argc, argv, &err);
	if (!rc)
		rc = config_validate(cfg, &err);
	if (!rc && !*cfg->data_dir)
		rc = err_set(&err, ERR_INVALID, "data_dir", "--data DIR is required");
	if (rc)
		fprintf(stderr, "atalaya: %s\n", err.message);
	return rc;
}

static int unexpected_args(int argc, char **argv)
{
	if (argc <= 1)
		return 0;
	fprintf(stderr, "atalaya %s: unknown argument '%s' (see atalaya help)\n", argv[0], argv[1]);
	return 2;
}

int cmd_init(int argc, char **argv)
{
	struct config cfg;
	struct store *st = NULL;
	struct err_detail err;
	const char *name = NULL, *country = NULL, *kind = "national-cert";
	int rc, out = 1;

	/* init's own flags first; the rest are settings */
	for (int i = 1; i < argc; i++) {
		const char **slot = !strcmp(argv[i], "--name")      ? &name
				    : !strcmp(argv[i], "--country") ? &country
				    : !strcmp(argv[i], "--kind")    ? &kind
								    : NULL;
		if (slot && i + 1 < argc)
			*slot = argv[++i];
		else
			argv[out++] = argv[i];
	}
	argc = out;
	argv[argc] = NULL;
	if (load_config(&cfg, &argc, argv))
		return 2;
	if ((rc = unexpected_args(argc, argv)))
		goto done;
	if (!name || !country) {
		fprintf(stderr, "atalaya init: --name NAME and --country CC are required\n");
		rc = 2;
		goto done;
	}
	if (token_init()) {
		rc = 1;
		goto done;
	}
	if (mkdir(cfg.data_dir, 0700) && errno != EEXIST) {
		fprintf(stderr, "atalaya init: cannot create %s: %s\n", cfg.data_dir, strerror(errno));
		rc = 1;
		goto done;
	}
	err_clear(&err);
	if (store_open(cfg.data_dir, cfg.sqlite_cache_mib, &st, &err)) {
		fprintf(stderr, "atalaya init: %s\n", err.message);
		rc = 1;
		goto done;
	}
	char *existing = NULL;
	if (store_node_get(st, "name", &existing) == ERR_OK) {
		fprintf(stderr, "atalaya init: %s is already the node '%s'; nothing changed\n",
			cfg.data_dir, existing);
		free(existing);
		rc = 1;
		goto done;
	}
	/* The node's Ed25519 identity, for signing what it sends to peers. */
	unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	char pk_hex[2 * crypto_sign_PUBLICKEYBYTES + 1];
	crypto_sign_keypair(pk, sk);
	sodium_bin2hex(pk_hex, sizeof(pk_hex), pk, sizeof(pk));
	char *key_path = path_join(cfg.data_dir, "node.key");
	rc = write_secret(key_path, sk, sizeof(sk));
	sodium_memzero(sk, sizeof(sk));
	free(key_path);
	if (rc) {
		fprintf(stderr, "atalaya init: cannot write node.key: %s\n", strerror(errno));
		rc = 1;
		goto done;
	}
	char token[TOKEN_TEXT_MAX];
	int64_t id, token_id;
	rc = api_member_create(st, name, kind, country, "[]", "admin", 0, &id, token, &token_id);
	if (rc == ERR_CONFLICT) {
		fprintf(stderr, "atalaya init: a member called '%s' exists already\n", name);
		rc = 1;
		goto done;
	}
	struct store_conn *c;
	if (!rc && !(rc = store_write_begin(st, &c))) {
		rc = store_node_set(c, "name", name);
		if (!rc)
			rc = store_node_set(c, "country", country);
		if (!rc)
			rc = store_node_set(c, "public_key", pk_hex);
		rc = store_write_end(st, rc);
	}
	char *tok_path = path_join(cfg.data_dir, "admin.token");
	size_t tn = strlen(token);
	token[tn] = '\n';
	if (!rc)
		rc = write_secret(tok_path, token, tn + 1);
	sodium_memzero(token, sizeof(token));
	if (rc) {
		fprintf(stderr, "atalaya init: %s\n", err_str(rc));
		free(tok_path);
		rc = 1;
		goto done;
	}
	printf("atalaya: node '%s' (%s) initialised in %s\n"
	       "  admin member: %" PRId64 "\n"
	       "  admin token:  %s (mode 0600; shown nowhere else)\n"
	       "  node key:     Ed25519 %s\n",
	       name, country, cfg.data_dir, id, tok_path, pk_hex);
	free(tok_path);
	rc = 0;
done:
	store_close(st);
	config_release(&cfg);
	return rc;
}

/* Started as root: chown the data files to the service user, then drop to it
 * for good, after the ports are bound. */
static int drop_privileges(const struct config *cfg)
{
	if (geteuid() != 0)
		return ERR_OK;
	const char *user = *cfg->user ? cfg->user : getpwnam("atalaya") ? "atalaya" : "nobody";
	struct passwd *pw = getpwnam(user);
	if (!pw || pw->pw_uid == 0) {
		log_err("event=drop_privileges user=%s error=\"no such unprivileged user\"", user);
		return ERR_INVALID;
	}
	static const char *const files[] = {"", "atalaya.db", "atalaya.db-wal", "atalaya.db-shm",
					    "node.key", "spool", "reports", "atalaya.conf", NULL};
	for (int i = 0; files[i]; i++) {
		char *p = *files[i] ? path_join(cfg->data_dir, files[i]) : xstrdup(cfg->data_dir);
		if (chown(p, pw->pw_uid, pw->pw_gid) && errno != ENOENT)
			log_warn_errno("event=chown path=%s", p);
		free(p);
	}
	if (setgroups(0, NULL) || setgid(pw->pw_gid) || setuid(pw->pw_uid)) {
		log_err_errno("event=drop_privileges user=%s", user);
		return ERR_IO;
	}
	if (setuid(0) == 0) {
		log_err("event=drop_privileges error=\"root could be regained\"");
		return ERR_INTERNAL;
	}
	log_info("event=drop_privileges user=%s uid=%u", user, (unsigned)pw->pw_uid);
	return ERR_OK;
}

int cmd_serve(int argc, char **argv)
{
	struct config cfg;
	struct node node;
	struct server *srv = NULL;
	struct err_detail err;
	sigset_t sigs;
	int fd = -1, rc, sig;
	struct dnsbl_listen dns_l = {.nudp = 0, .tcp_fd = -1}; /* anti-spam DNSBL (issue 8) */

	memset(&node, 0, sizeof(node));
	if (load_config(&cfg, &argc, argv))
		return 2;
	if ((rc = unexpected_args(argc, argv)))
		goto done;
	log_set_level(!strcmp(cfg.log_level, "debug")  ? LOG_DEBUG
		      : !strcmp(cfg.log_level, "warn") ? LOG_WARN
		      : !strcmp(cfg.log_level, "error") ? LOG_ERR
							: LOG_INFO);
	token_init();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	/* Every thread inherits this mask; the main thread waits for the signals. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	err_clear(&err);
	rc = server_bind(&cfg, &fd, &err);
	/* anti-spam DNSBL (issue 8): its sockets too are bound before dropping root */
	if (!rc && *cfg.dns_listen)
		rc = dnsbl_server_bind(cfg.dns_listen, (int)cfg.dns_threads, &dns_l, &err);
	if (!rc)
		rc = drop_privileges(&cfg);
	if (rc) {
		if (err.message[0])
			log_err("event=start error=\"%s\"", err.message);
		rc = 1;
		goto done;
	}
	node.cfg = &cfg;
	node.spool_dir = path_join(cfg.data_dir, "spool");
	mkdir(node.spool_dir, 0700);
	char *reports_dir = path_join(cfg.data_dir, "reports");
	mkdir(reports_dir, 0700);
	free(reports_dir);
	if (access(cfg.data_dir, R_OK | W_OK | X_OK)) {
		log_err_errno("event=start data_dir=%s uid=%u hint=\"the user the node runs as must "
			      "reach and write the data directory\"",
			      cfg.data_dir, (unsigned)getuid());
		rc = 1;
		goto done;
	}
	rc = store_open(cfg.data_dir, cfg.sqlite_cache_mib, &node.st, &err);
	if (!rc && store_node_get(node.st, "name", &node.node_name)) {
		rc = err_set(&err, ERR_INVALID, "data_dir",
			     "%s is not an initialised node: run atalaya init --data %s --name NAME "
			     "--country CC",
			     cfg.data_dir, cfg.data_dir);
	}
	if (!rc)
		rc = directory_new(node.st, &node.dir);
	/* anti-spam (issue 8): listings loaded from the store, then the DNS server */
	if (!rc)
		rc = spam_new(&node, &node.spam, &err);
	if (!rc && *cfg.dns_listen)
		rc = spam_dns_start(node.spam, &dns_l, &err); /* takes the sockets */
	/* early warning (issue 4): index built from the store, indexer and
	 * alert delivery threads; sets node.report_committed */
	if (!rc)
		rc = warning_new(&node, &node.warning, &err);
	/* end early warning */
	if (rc) {
		log_err("event=start error=\"%s\"", err.message[0] ? err.message : err_str(rc));
		rc = 1;
		goto done;
	}
	size_t nroutes;
	router_routes(&nroutes);
	node.metrics = metrics_new(nroutes);
	rc = server_start(&node, fd, &srv, &err);
	if (rc) {
		log_err("event=start error=\"%s\"", err.message);
		rc = 1;
		goto done;
	}
	fd = -1; /* the server owns it now */
	log_info("event=serving url=%s://%s node=\"%s\" pid=%d", *cfg.tls_cert ? "https" : "http",
		 cfg.listen, node.node_name, (int)getpid());
	do {
		if (sigwait(&sigs, &sig))
			break;
	} while (sig != SIGINT && sig != SIGTERM);
	log_info("event=stopping signal=%d", sig);
	/* MHD finishes the requests in flight; each write is one transaction,
	 * so nothing is left half-written. */
	warning_streams_close(node.warning); /* MHD stops with no suspended stream */
	server_stop(srv);
	spam_free(node.spam); /* anti-spam: DNS threads and expiry stop here */
	node.spam = NULL;
	warning_free(node.warning); /* early warning: after the server (streams) */
	node.warning = NULL;
	rc = 0;
	log_info("event=stopped");
done:
	if (fd >= 0)
		close(fd);
	dnsbl_listen_close(&dns_l); /* anti-spam: sockets not handed to the server */
	spam_free(node.spam);
	warning_free(node.warning); /* early warning */
	metrics_free(node.metrics);
	directory_free(node.dir);
	store_close(node.st);
	free(node.spool_dir);
	free(node.node_name);
	config_release(&cfg);
	curl_global_cleanup();
	return rc;
}

int cmd_config(int argc, char **argv)
{
	struct config cfg;
	struct err_detail err;
	if (argc < 2 || (strcmp(argv[1], "check") && strcmp(argv[1], "show"))) {
		fprintf(stderr, "usage: atalaya config check [--data DIR | FILE]\n"
				"       atalaya config show    (the settings table)\n");
		return 2;
	}
	if (!strcmp(argv[1], "show")) {
		config_print_table(stdout);
		return 0;
	}
	const char *file = NULL;
	char *owned = NULL;
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--data") && i + 1 < argc)
			file = owned = path_join(argv[++i], "atalaya.conf");
		else
			file = argv[i];
	}
	if (!file) {
		fprintf(stderr, "atalaya config check: give --data DIR or a file\n");
		return 2;
	}
	config_init(&cfg);
	err_clear(&err);
	int rc = access(file, R_OK) ? err_set(&err, ERR_IO, "", "%s: %s", file, strerror(errno))
				    : config_load_file(&cfg, file, &err);
	if (!rc)
		rc = config_validate(&cfg, &err);
	if (rc)
		fprintf(stderr, "atalaya config: %s\n", err.message);
	else
		printf("%s: ok\n", file);
	config_release(&cfg);
	free(owned);
	return rc ? 1 : 0;
}
