#include <setjmp.h>
#include <cmocka.h>

#include "config/settings.h"

static void defaults_are_valid(void **state)
{
	struct config c;
	struct err_detail e;
	config_init(&c);
	assert_string_equal(c.listen, "127.0.0.1:8440");
	assert_int_equal(c.body_max, 1048576);
	assert_true(c.report_body_max == INT64_C(1073741824));
	assert_true(c.access_log);
	assert_int_equal(config_validate(&c, &e), ERR_OK);
	config_release(&c);
}

static void sizes_bounds_and_names(void **state)
{
	struct config c;
	struct err_detail e;
	config_init(&c);
	assert_int_equal(config_set(&c, "body-max", "64K", &e), ERR_OK);
	assert_int_equal(c.body_max, 65536);
	assert_int_equal(config_set(&c, "body_max", "2MiB", &e), ERR_OK);
	assert_int_equal(c.body_max, 2 * 1048576);
	assert_int_equal(config_set(&c, "body_max", "12", &e), ERR_INVALID);
	assert_non_null(strstr(e.message, "out of bounds"));
	assert_int_equal(c.body_max, 2 * 1048576); /* unchanged */
	assert_int_equal(config_set(&c, "http_threads", "2.5", &e), ERR_INVALID);
	assert_int_equal(config_set(&c, "http_threads", "lots", &e), ERR_INVALID);
	assert_string_equal(e.field, "http_threads");
	assert_int_equal(config_set(&c, "access_log", "maybe", &e), ERR_INVALID);
	assert_int_equal(config_set(&c, "access_log", "off", &e), ERR_OK);
	assert_false(c.access_log);
	assert_int_equal(config_set(&c, "colour", "red", &e), ERR_NOT_FOUND);
	config_release(&c);
}

static void flags_override_and_stay(void **state)
{
	struct config c;
	struct err_detail e;
	char *argv[] = {"serve",
			"--data",
			"/tmp/x",
			"--listen=127.0.0.1:9",
			"--insecure-listen",
			"extra",
			"--http-threads",
			"3",
			NULL};
	int argc = 8;
	config_init(&c);
	assert_int_equal(config_apply_flags(&c, &argc, argv, &e), ERR_OK);
	assert_string_equal(c.data_dir, "/tmp/x");
	assert_string_equal(c.listen, "127.0.0.1:9");
	assert_true(c.insecure_listen);
	assert_int_equal(c.http_threads, 3);
	assert_int_equal(argc, 2);
	assert_string_equal(argv[1], "extra");
	config_release(&c);
}

static void file_errors_name_the_line(void **state)
{
	char path[] = "/tmp/atalaya-settings-XXXXXX";
	int fd = mkstemp(path);
	const char text[] = "# comment\nlisten = \"127.0.0.1:1\"\n\nhttp_threads = 0\n";
	assert_true(write(fd, text, sizeof(text) - 1) == (ssize_t)(sizeof(text) - 1));
	close(fd);
	struct config c;
	struct err_detail e;
	config_init(&c);
	assert_int_equal(config_load_file(&c, path, &e), ERR_INVALID);
	assert_non_null(strstr(e.message, ":4:"));
	assert_non_null(strstr(e.message, "http_threads"));
	assert_string_equal(c.listen, "127.0.0.1:1");
	assert_int_equal(config_load_file(&c, "/nonexistent/atalaya.conf", &e), ERR_OK);
	unlink(path);
	config_release(&c);
}

static void cross_checks(void **state)
{
	struct config c;
	struct err_detail e;
	config_init(&c);
	config_set(&c, "tls_cert", "/x.pem", NULL);
	assert_int_equal(config_validate(&c, &e), ERR_INVALID);
	assert_string_equal(e.field, "tls_key");
	config_set(&c, "tls_key", "/k.pem", NULL);
	config_set(&c, "dnsbl_zone", "bl.example.org", NULL);
	assert_int_equal(config_validate(&c, &e), ERR_INVALID);
	assert_string_equal(e.field, "dns_listen");
	config_release(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(defaults_are_valid),
	    cmocka_unit_test(sizes_bounds_and_names),
	    cmocka_unit_test(flags_override_and_stay),
	    cmocka_unit_test(file_errors_name_the_line),
	    cmocka_unit_test(cross_checks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
