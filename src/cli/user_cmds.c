/* `atalaya user ...`: people's accounts through the API (/api/v1/users). */
#include "cli/user_cmds.h"

#include "cli/args.h"
#include "cli/client.h"
#include "util/buf.h"

#include <signal.h>
#include <sodium.h>
#include <termios.h>
#include <unistd.h>

#define PASSWORD_FILE_MAX 1024

/* The first line of `path` (without its newline) into out; false on error. */
static bool read_password(const char *path, char out[PASSWORD_FILE_MAX + 1])
{
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "atalaya: cannot read %s: %s\n", path, strerror(errno));
		return false;
	}
	bool ok = fgets(out, PASSWORD_FILE_MAX + 1, f) != NULL;
	fclose(f);
	if (!ok) {
		fprintf(stderr, "atalaya: %s is empty\n", path);
		return false;
	}
	out[strcspn(out, "\r\n")] = '\0';
	return true;
}

/* One line of `f` without its newline; false at the end of the input. */
static bool read_line(FILE *f, char out[PASSWORD_FILE_MAX + 1])
{
	if (!fgets(out, PASSWORD_FILE_MAX + 1, f))
		return false;
	out[strcspn(out, "\r\n")] = '\0';
	return true;
}

static struct termios saved_tty; /* put back if a signal ends the prompt */

static void restore_tty(int sig)
{
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tty); /* async-signal-safe */
	signal(sig, SIG_DFL);
	raise(sig);
}

/* The password typed at the terminal, twice, without echo; from a pipe,
 * its first line. False (after saying why) when the two differ or none. */
static bool prompt_password(char out[PASSWORD_FILE_MAX + 1])
{
	char again[PASSWORD_FILE_MAX + 1];
	struct termios old, quiet;
	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &old)) {
		if (read_line(stdin, out) && out[0])
			return true;
		fprintf(stderr, "atalaya: no password on standard input\n");
		return false;
	}
	struct sigaction sa = {.sa_handler = restore_tty}, prev_int, prev_term;
	saved_tty = old;
	sigaction(SIGINT, &sa, &prev_int); /* Ctrl-C must not leave the terminal mute */
	sigaction(SIGTERM, &sa, &prev_term);
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	quiet.c_lflag |= ECHONL; /* the Enter still moves to the next line */
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	fputs("Password: ", stderr);
	bool ok = read_line(stdin, out);
	if (ok) {
		fputs("Password again: ", stderr);
		ok = read_line(stdin, again);
	}
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	sigaction(SIGINT, &prev_int, NULL);
	sigaction(SIGTERM, &prev_term, NULL);
	if (ok && strcmp(out, again)) {
		fprintf(stderr, "atalaya: the two passwords differ; nothing was changed\n");
		ok = false;
	} else if (ok && !out[0]) {
		fprintf(stderr, "atalaya: an empty password; nothing was changed\n");
		ok = false;
	} else if (!ok) {
		fprintf(stderr, "atalaya: no password typed\n");
	}
	sodium_memzero(again, sizeof(again));
	return ok;
}

static int user_add(struct client *c, int argc, char **argv)
{
	const char *member = arg_value(argc, argv, "--member"),
		   *email = arg_value(argc, argv, "--email");
	const char *role = arg_value(argc, argv, "--role"),
		   *lang = arg_value(argc, argv, "--language");
	const char *pwfile = arg_value(argc, argv, "--password-file");
	char pw[PASSWORD_FILE_MAX + 1] = "";
	if (!member || !email) {
		fprintf(stderr, "atalaya: --member ID and --email ADDRESS are required\n");
		return 2;
	}
	bool prompt = arg_flag(argc, argv, "--password-prompt");
	if (pwfile && prompt) {
		fprintf(stderr, "atalaya: give --password-file or --password-prompt, not both\n");
		return 2;
	}
	if ((pwfile && !read_password(pwfile, pw)) || (prompt && !prompt_password(pw))) {
		sodium_memzero(pw, sizeof(pw));
		return 1;
	}
	json_t *b =
	    json_pack("{sI ss}", "member", (json_int_t)strtoll(member, NULL, 10), "email", email);
	if (role)
		json_object_set_new(b, "role", json_string(role));
	if (lang)
		json_object_set_new(b, "language", json_string(lang));
	if (pw[0])
		json_object_set_new(b, "password", json_string(pw));
	sodium_memzero(pw, sizeof(pw));
	json_t *res = client_json(c, "POST", "/api/v1/users", b);
	json_decref(b);
	if (!res)
		return 1;
	printf("user %" JSON_INTEGER_FORMAT " created: %s (%s) in member %" JSON_INTEGER_FORMAT
	       "\n",
	       json_integer_value(json_object_get(res, "id")),
	       json_string_value(json_object_get(res, "email")),
	       json_string_value(json_object_get(res, "role")),
	       json_integer_value(json_object_get(res, "member")));
	const char *code = json_string_value(json_object_get(res, "enrolment_code"));
	if (code)
		printf("enrolment code (shown once; the person sets a password with it at "
		       "/web/enrol, which shows the TOTP secret): %s\n",
		       code);
	else
		printf("TOTP secret (shown once; add it to an authenticator app): %s\n%s\n",
		       json_string_value(json_object_get(res, "totp_secret")),
		       json_string_value(json_object_get(res, "otpauth_uri")));
	json_decref(res);
	return 0;
}

static int user_list(struct client *c, int argc, char **argv)
{
	json_t *res = client_json(c, "GET", "/api/v1/users?limit=1000", NULL);
	size_t i;
	json_t *u;
	if (!res)
		return 1;
	if (arg_flag(argc, argv, "--json"))
		print_json(json_object_get(res, "items"));
	else
		json_array_foreach(json_object_get(res, "items"), i, u) printf(
		    "%-5" JSON_INTEGER_FORMAT " %-40s member %-5" JSON_INTEGER_FORMAT " %s\n",
		    json_integer_value(json_object_get(u, "id")),
		    json_string_value(json_object_get(u, "email")),
		    json_integer_value(json_object_get(u, "member")),
		    json_string_value(json_object_get(u, "role")));
	json_decref(res);
	return 0;
}

static int user_delete(struct client *c, int argc, char **argv)
{
	char path[64];
	snprintf(path, sizeof(path), "/api/v1/users/%lld",
		 strtoll(arg_positional(argc, argv, 1), NULL, 10));
	json_t *res = client_json(c, "DELETE", path, NULL);
	if (!res)
		return 1;
	json_decref(res);
	printf("user deleted; its sessions ended\n");
	return 0;
}

static int user_reset(struct client *c, int argc, char **argv)
{
	char path[64];
	snprintf(path, sizeof(path), "/api/v1/users/%lld/enrolment",
		 strtoll(arg_positional(argc, argv, 1), NULL, 10));
	json_t *res = client_json(c, "POST", path, NULL);
	if (!res)
		return 1;
	printf("enrolment reset: password, second factor and sessions ended; new enrolment code "
	       "(shown once; the person sets a password with it at /web/enrol): %s\n",
	       json_string_value(json_object_get(res, "enrolment_code")));
	json_decref(res);
	return 0;
}

const struct cli_subcommand cli_user_subs[] = {
    {"add",
     "add --member ID --email ADDRESS [--role R] [--language xx] [--password-file FILE | "
     "--password-prompt]",
     "a person's account under a member: prints a one-time enrolment code, or with a password "
     "(from a file, or typed twice without echo; from a pipe, its first line) sets it and prints "
     "the TOTP secret",
     0, NULL, user_add},
    {"reset", "reset ID",
     "end an account's password, second factor and sessions; prints a new enrolment code", 1, NULL,
     user_reset},
    {"list", "list [--json]", "people's accounts", 0, NULL, user_list},
    {"delete", "delete ID", "delete an account and end its sessions", 1, NULL, user_delete},
    {0},
};
