/* Unit tests for cli_parse: accepted forms, every rejection, error text. */
#include "xenemu/cli.h"

#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir_path[256]; /* short, so the file paths below always fit */
static char kernel_path[PATH_MAX];
static char initrd_path[PATH_MAX];
static char missing_path[PATH_MAX];
static char dashed_path[PATH_MAX];

static struct cli_options opt;
static char err[512];

#define ARGS(...) ((char *[]){"xenemu", __VA_ARGS__})
#define NARGS(...) ((int)(sizeof ARGS(__VA_ARGS__) / sizeof(char *)))
/* Parses "xenemu ARGS..." into opt and err. */
#define PARSE(...) cli_parse(NARGS(__VA_ARGS__), ARGS(__VA_ARGS__), &opt, err, sizeof err)

static void write_file(const char *path)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fputs("not really a kernel\n", f) >= 0, 1);
    ck_assert_int_eq(fclose(f), 0);
}

static void setup(void)
{
    const char *base = getenv("TMPDIR");
    if (base == NULL || base[0] == '\0')
        base = "/tmp";
    snprintf(dir_path, sizeof dir_path, "%s/xenemu-test-cli-XXXXXX", base);
    ck_assert_ptr_nonnull(mkdtemp(dir_path));
    snprintf(kernel_path, sizeof kernel_path, "%s/kernel", dir_path);
    snprintf(initrd_path, sizeof initrd_path, "%s/initrd", dir_path);
    snprintf(missing_path, sizeof missing_path, "%s/missing", dir_path);
    snprintf(dashed_path, sizeof dashed_path, "%s/-kernel", dir_path);
    write_file(kernel_path);
    write_file(initrd_path);
    write_file(dashed_path);
    memset(err, 0, sizeof err);
}

static void teardown(void)
{
    unlink(kernel_path);
    unlink(initrd_path);
    unlink(dashed_path);
    rmdir(dir_path);
}

/* Asserts the last parse failed and its message contains want. */
static void expect_error(int rc, const char *want)
{
    ck_assert_int_eq(rc, -1);
    ck_assert_msg(strstr(err, want) != NULL, "error '%s' lacks '%s'", err, want);
    ck_assert_ptr_null(strchr(err, '\n'));
}

START_TEST(version_flag)
{
    ck_assert_int_eq(PARSE("--version"), 0);
    ck_assert_int_eq(opt.command, CLI_CMD_VERSION);
}
END_TEST

START_TEST(help_forms)
{
    ck_assert_int_eq(PARSE("--help"), 0);
    ck_assert_int_eq(opt.command, CLI_CMD_HELP);
    ck_assert_int_eq(PARSE("-h"), 0);
    ck_assert_int_eq(opt.command, CLI_CMD_HELP);
    ck_assert_int_eq(PARSE("help"), 0);
    ck_assert_int_eq(opt.command, CLI_CMD_HELP);
    ck_assert_int_eq(PARSE("run", "--help"), 0);
    ck_assert_int_eq(opt.command, CLI_CMD_HELP);
    ck_assert_int_eq(PARSE("run", "--vcpus", "2", "-h"), 0);
    ck_assert_int_eq(opt.command, CLI_CMD_HELP);
}
END_TEST

START_TEST(help_text_lists_every_option)
{
    const char *text = cli_help_text();
    const char *names[] = {"--memory", "--vcpus", "--initrd", "--cmdline",
                           "--machine", "--help", "--version", "run"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        ck_assert_msg(strstr(text, names[i]) != NULL, "help lacks %s", names[i]);
    ck_assert_int_eq(text[strlen(text) - 1], '\n');
}
END_TEST

START_TEST(no_command)
{
    char *argv[] = {"xenemu"};
    ck_assert_int_eq(cli_parse(1, argv, &opt, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "no command"));
}
END_TEST

START_TEST(unknown_command_or_option)
{
    expect_error(PARSE("start"), "unknown command 'start'");
    expect_error(PARSE("--frobnicate"), "unknown option '--frobnicate'");
    expect_error(PARSE("--version", "extra"), "unexpected argument 'extra'");
    expect_error(PARSE("help", "run"), "unexpected argument 'run'");
}
END_TEST

START_TEST(run_defaults)
{
    ck_assert_int_eq(PARSE("run", kernel_path), 0);
    ck_assert_int_eq(opt.command, CLI_CMD_RUN);
    ck_assert_uint_eq(opt.memory_bytes, 512ULL << 20);
    ck_assert_uint_eq(opt.vcpus, 1);
    ck_assert_int_eq(opt.machine, CLI_MACHINE_XEN);
    ck_assert_str_eq(opt.kernel, kernel_path);
    ck_assert_ptr_null(opt.initrd);
    ck_assert_str_eq(opt.cmdline, "");
}
END_TEST

START_TEST(run_options_separate_values)
{
    ck_assert_int_eq(PARSE("run", "--memory", "2G", "--vcpus", "4", "--initrd",
                           initrd_path, "--cmdline", "console=hvc0 quiet",
                           "--machine", "bare", kernel_path),
                     0);
    ck_assert_uint_eq(opt.memory_bytes, 2ULL << 30);
    ck_assert_uint_eq(opt.vcpus, 4);
    ck_assert_str_eq(opt.initrd, initrd_path);
    ck_assert_str_eq(opt.cmdline, "console=hvc0 quiet");
    ck_assert_int_eq(opt.machine, CLI_MACHINE_BARE);
    ck_assert_str_eq(opt.kernel, kernel_path);
}
END_TEST

START_TEST(run_options_equals_values)
{
    char initrd_arg[PATH_MAX + 16];
    snprintf(initrd_arg, sizeof initrd_arg, "--initrd=%s", initrd_path);
    ck_assert_int_eq(PARSE("run", kernel_path, "--memory=1G", "--vcpus=128",
                           initrd_arg, "--cmdline=root=/dev/xvda a=b",
                           "--machine=xen"),
                     0);
    ck_assert_uint_eq(opt.memory_bytes, 1ULL << 30);
    ck_assert_uint_eq(opt.vcpus, 128);
    ck_assert_str_eq(opt.initrd, initrd_path);
    ck_assert_str_eq(opt.cmdline, "root=/dev/xvda a=b");
    ck_assert_int_eq(opt.machine, CLI_MACHINE_XEN);
}
END_TEST

static const struct {
    const char *text;
    uint64_t bytes;
} good_sizes[] = {
    {"512M", 512ULL << 20},     {"2G", 2ULL << 30},       {"1048576K", 1ULL << 30},
    {"1T", 1ULL << 40},         {"1M", 1ULL << 20},       {"1048576", 1ULL << 20},
    {"4g", 4ULL << 30},         {"8192k", 8ULL << 20},    {"0002G", 2ULL << 30},
    {"1028K", 1028ULL << 10},   {"1052672", 1052672ULL},  {"3m", 3ULL << 20},
};

START_TEST(memory_accepts)
{
    char arg[64];
    snprintf(arg, sizeof arg, "--memory=%s", good_sizes[_i].text);
    ck_assert_msg(PARSE("run", arg, kernel_path) == 0, "%s: %s", arg, err);
    ck_assert_uint_eq(opt.memory_bytes, good_sizes[_i].bytes);
}
END_TEST

static char *const bad_sizes[] = {
    "",         "abc",        "-1",          "+512M",        " 512M",
    "512 M",    "512MB",      "512X",        "1.5G",         "M",
    "0x100000", "512M ",      "2GG",         "512KiB",       "1e9",
};

START_TEST(memory_rejects_syntax)
{
    expect_error(PARSE("run", "--memory", bad_sizes[_i], kernel_path), "is not a size");
}
END_TEST

/* The last ones would wrap around 2^64 to a size in range, e.g. 1G or 1T. */
static char *const out_of_range_sizes[] = {
    "0",           "1020K",        "1048572",              "1073741828K",
    "2T",          "99999999999999999999999",              "18446744073709551615",
    "17179869184G", "16777216T",   "17179869185G",         "16777217T",
    "18446744074783293440",
};

START_TEST(memory_rejects_range)
{
    expect_error(PARSE("run", "--memory", out_of_range_sizes[_i], kernel_path),
                 "out of range");
}
END_TEST

START_TEST(memory_rejects_misalignment)
{
    expect_error(PARSE("run", "--memory=1048580", kernel_path), "multiple of 4K");
    expect_error(PARSE("run", "--memory=1025K", kernel_path), "multiple of 4K");
}
END_TEST

START_TEST(vcpus_bounds)
{
    ck_assert_int_eq(PARSE("run", "--vcpus", "1", kernel_path), 0);
    ck_assert_uint_eq(opt.vcpus, 1);
    ck_assert_int_eq(PARSE("run", "--vcpus", "007", kernel_path), 0);
    ck_assert_uint_eq(opt.vcpus, 7);
    expect_error(PARSE("run", "--vcpus", "0", kernel_path), "out of range");
    expect_error(PARSE("run", "--vcpus", "129", kernel_path), "out of range");
    expect_error(PARSE("run", "--vcpus", "99999999999999999999999", kernel_path),
                 "out of range");
    /* 2^64 + 4: must not wrap around to 4. */
    expect_error(PARSE("run", "--vcpus", "18446744073709551620", kernel_path),
                 "out of range");
    expect_error(PARSE("run", "--vcpus=", kernel_path), "not a number");
    expect_error(PARSE("run", "--vcpus", "x", kernel_path), "not a number");
    expect_error(PARSE("run", "--vcpus", "1x", kernel_path), "not a number");
    expect_error(PARSE("run", "--vcpus", "-1", kernel_path), "not a number");
    expect_error(PARSE("run", "--vcpus", "+1", kernel_path), "not a number");
    expect_error(PARSE("run", "--vcpus", " 1", kernel_path), "not a number");
}
END_TEST

START_TEST(cmdline_limit)
{
    char line[CLI_CMDLINE_MAX + 2];
    memset(line, 'a', CLI_CMDLINE_MAX);
    line[CLI_CMDLINE_MAX] = '\0';
    ck_assert_int_eq(PARSE("run", "--cmdline", line, kernel_path), 0);
    ck_assert_uint_eq(strlen(opt.cmdline), 2047);
    line[CLI_CMDLINE_MAX] = 'a';
    line[CLI_CMDLINE_MAX + 1] = '\0';
    expect_error(PARSE("run", "--cmdline", line, kernel_path), "limit is 2047");
    ck_assert_int_eq(PARSE("run", "--cmdline=", kernel_path), 0);
    ck_assert_str_eq(opt.cmdline, "");
    /* A separate value is taken as is, even when it looks like an option. */
    ck_assert_int_eq(PARSE("run", "--cmdline", "-v", kernel_path), 0);
    ck_assert_str_eq(opt.cmdline, "-v");
}
END_TEST

START_TEST(machine_values)
{
    ck_assert_int_eq(PARSE("run", "--machine", "bare", kernel_path), 0);
    ck_assert_int_eq(opt.machine, CLI_MACHINE_BARE);
    ck_assert_int_eq(PARSE("run", "--machine=xen", kernel_path), 0);
    ck_assert_int_eq(opt.machine, CLI_MACHINE_XEN);
    expect_error(PARSE("run", "--machine", "kvm", kernel_path), "'kvm' is unknown");
    expect_error(PARSE("run", "--machine", "Xen", kernel_path), "is unknown");
    expect_error(PARSE("run", "--machine=", kernel_path), "is unknown");
}
END_TEST

static char *const value_options[] = {
    "--memory", "--vcpus", "--initrd", "--cmdline", "--machine",
};

/* A value each option in value_options accepts, index for index. */
static char *const valid_values[] = {"1G", "2", "x", "x", "bare"};

START_TEST(missing_value)
{
    char want[64];
    snprintf(want, sizeof want, "option '%s' needs a value", value_options[_i]);
    expect_error(PARSE("run", kernel_path, value_options[_i]), want);
}
END_TEST

START_TEST(duplicate_option)
{
    char first[64];
    char want[64];
    snprintf(first, sizeof first, "%s=%s", value_options[_i], valid_values[_i]);
    snprintf(want, sizeof want, "'%s' is given more than once", value_options[_i]);
    expect_error(PARSE("run", first, value_options[_i], valid_values[_i], kernel_path), want);
}
END_TEST

START_TEST(flag_rejects_value)
{
    expect_error(PARSE("run", "--help=yes"), "'--help' takes no value");
}
END_TEST

START_TEST(unknown_run_options)
{
    expect_error(PARSE("run", "--mem=1G", kernel_path), "unknown option '--mem'");
    expect_error(PARSE("run", "--memoryx", "1G", kernel_path), "unknown option '--memoryx'");
    expect_error(PARSE("run", "-m", "1G", kernel_path), "unknown option '-m'");
    expect_error(PARSE("run", kernel_path, "--verbose"), "unknown option '--verbose'");
}
END_TEST

START_TEST(kernel_errors)
{
    expect_error(PARSE("run"), "no KERNEL given");
    expect_error(PARSE("run", "--vcpus", "2"), "no KERNEL given");
    expect_error(PARSE("run", missing_path), "No such file");
    ck_assert_ptr_nonnull(strstr(err, "kernel '"));
    expect_error(PARSE("run", dir_path), "is not a regular file");
    expect_error(PARSE("run", kernel_path, initrd_path), "more than one KERNEL");
    expect_error(PARSE("run", kernel_path, "--", kernel_path), "more than one KERNEL");
}
END_TEST

START_TEST(initrd_errors)
{
    expect_error(PARSE("run", "--initrd", missing_path, kernel_path), "No such file");
    ck_assert_ptr_nonnull(strstr(err, "initrd '"));
    expect_error(PARSE("run", "--initrd", dir_path, kernel_path), "is not a regular file");
    expect_error(PARSE("run", "--initrd=", kernel_path), "initrd ''");
}
END_TEST

START_TEST(unreadable_file)
{
    /* root reads any file, so only an ordinary user can see the refusal. */
    if (geteuid() == 0)
        return;
    ck_assert_int_eq(chmod(initrd_path, 0), 0);
    expect_error(PARSE("run", "--initrd", initrd_path, kernel_path), "Permission denied");
}
END_TEST

START_TEST(double_dash_ends_options)
{
    ck_assert_int_eq(chdir(dir_path), 0);
    expect_error(PARSE("run", "-kernel"), "unknown option '-kernel'");
    ck_assert_int_eq(PARSE("run", "--vcpus", "2", "--", "-kernel"), 0);
    ck_assert_str_eq(opt.kernel, "-kernel");
    ck_assert_uint_eq(opt.vcpus, 2);
    expect_error(PARSE("run", "--", "--memory"), "kernel '--memory'");
    /* A lone "-" is an operand, not an option. */
    expect_error(PARSE("run", "-"), "kernel '-'");
}
END_TEST

START_TEST(error_is_one_line)
{
    expect_error(PARSE("run", "--bogus\nsecond line", kernel_path), "unknown option");
    ck_assert_ptr_null(strchr(err, '\n'));
    expect_error(PARSE("run", "/no/such\r\nfile"), "No such file");
    ck_assert_ptr_null(strchr(err, '\r'));
}
END_TEST

START_TEST(error_buffer_limits)
{
    char small[8];
    char *argv[] = {"xenemu", "bogus"};
    memset(small, 'x', sizeof small);
    ck_assert_int_eq(cli_parse(2, argv, &opt, small, sizeof small), -1);
    ck_assert_uint_eq(strlen(small), sizeof small - 1);
    ck_assert_int_eq(cli_parse(2, argv, &opt, NULL, 0), -1);
}
END_TEST

static Suite *cli_suite(void)
{
    Suite *s = suite_create("cli");
    TCase *tc = tcase_create("parse");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, version_flag);
    tcase_add_test(tc, help_forms);
    tcase_add_test(tc, help_text_lists_every_option);
    tcase_add_test(tc, no_command);
    tcase_add_test(tc, unknown_command_or_option);
    tcase_add_test(tc, run_defaults);
    tcase_add_test(tc, run_options_separate_values);
    tcase_add_test(tc, run_options_equals_values);
    tcase_add_loop_test(tc, memory_accepts, 0,
                        (int)(sizeof good_sizes / sizeof good_sizes[0]));
    tcase_add_loop_test(tc, memory_rejects_syntax, 0,
                        (int)(sizeof bad_sizes / sizeof bad_sizes[0]));
    tcase_add_loop_test(tc, memory_rejects_range, 0,
                        (int)(sizeof out_of_range_sizes / sizeof out_of_range_sizes[0]));
    tcase_add_test(tc, memory_rejects_misalignment);
    tcase_add_test(tc, vcpus_bounds);
    tcase_add_test(tc, cmdline_limit);
    tcase_add_test(tc, machine_values);
    tcase_add_loop_test(tc, missing_value, 0,
                        (int)(sizeof value_options / sizeof value_options[0]));
    tcase_add_loop_test(tc, duplicate_option, 0,
                        (int)(sizeof value_options / sizeof value_options[0]));
    tcase_add_test(tc, flag_rejects_value);
    tcase_add_test(tc, unknown_run_options);
    tcase_add_test(tc, kernel_errors);
    tcase_add_test(tc, initrd_errors);
    tcase_add_test(tc, unreadable_file);
    tcase_add_test(tc, double_dash_ends_options);
    tcase_add_test(tc, error_is_one_line);
    tcase_add_test(tc, error_buffer_limits);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(cli_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
