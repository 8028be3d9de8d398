/* test_install.c — `make install` gives a working lab (issue 18): the
 * already built programs installed with DESTDIR into a scratch root play
 * lessons from an empty folder, finding their lessons next to themselves and
 * their siblings by their installed names, and write nothing into the
 * installation; the man pages, docs and bash completion are there, the
 * completion completes; `make uninstall` takes it all away again. The Debian
 * package installs with the same `make install` (debian/rules): `make deb`
 * builds it and plays lesson 2 from it (too slow for here); this suite checks
 * that the package carries the programs' version. */
#define _XOPEN_SOURCE 700 /* nftw() */
#include <check.h>
#include <dirent.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "testutil.h"

#define MAKE_TIMEOUT_MS 60000
#define LESSON_TIMEOUT_MS 60000
#define INSTALL_PREFIX "/usr"

static void scratch_setup(void)
{
    test_scratch_enter("install");
}

static void scratch_teardown(void)
{
    test_scratch_leave();
}

/* `make install` or `make uninstall` of what is built (-o all: nothing is
 * rebuilt, not even when the prefix differs from the build's) into DESTDIR.
 * The outer make's flags and jobserver are not this one's business. */
static void make_target(const char *target, const char *destdir)
{
    char dest_arg[4096];
    snprintf(dest_arg, sizeof dest_arg, "DESTDIR=%s", destdir);
    const char *argv[] = {"env",
                          "-u",
                          "MAKEFLAGS",
                          "-u",
                          "MAKELEVEL",
                          "-u",
                          "MFLAGS",
                          "make",
                          "-s",
                          "-C",
                          LAB_SOURCE_DIR,
                          target,
                          "-o",
                          "all",
                          "BUILD=" LAB_BUILD_DIR,
                          "BIN=" LAB_BIN_ARG,
                          "PREFIX=" INSTALL_PREFIX,
                          dest_arg,
                          NULL};
    struct test_run run;
    ck_assert_int_eq(test_run(&run, MAKE_TIMEOUT_MS, NULL, argv), 0);
    ck_assert_msg(run.exit_code == 0, "make %s DESTDIR=%s: exit %d\n%s%s", target, destdir,
                  run.exit_code, run.out, run.err);
    test_run_free(&run);
}

/* Every path under a tree with its size, one a line, for "nothing changed". */
static char listing[256 * 1024];
static size_t listing_len;
static const char *listing_root;

static int list_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)type;
    (void)ftw;
    if (listing_len < sizeof listing)
        listing_len += (size_t)snprintf(listing + listing_len, sizeof listing - listing_len,
                                        "%s %lld\n", path + strlen(listing_root),
                                        S_ISDIR(st->st_mode) ? 0LL : (long long)st->st_size);
    return 0;
}

static char *tree_listing(const char *root)
{
    listing_len = 0;
    listing[0] = 0;
    listing_root = root;
    ck_assert_int_eq(nftw(root, list_one, 16, FTW_PHYS), 0);
    char *copy = strdup(listing);
    ck_assert_ptr_nonnull(copy);
    return copy;
}

static void installed_path(char *out, size_t cap, const char *dest, const char *rel)
{
    snprintf(out, cap, "%s%s/%s", dest, INSTALL_PREFIX, rel);
}

/* The lessons in the source tree, which make install copies: how many, and
 * their numbers one a line in order ("1\n2\n…\n10\n"), as completion offers
 * them. A new lesson changes both without touching this test. */
static size_t source_lessons(char *numbers, size_t cap)
{
    struct dirent **names = NULL;
    int n = scandir(LAB_SOURCE_DIR "/scenarios/lessons", &names, NULL, alphasort);
    ck_assert_msg(n > 0, "no lessons in the source tree");
    size_t count = 0, used = 0;
    numbers[0] = 0;
    for (int i = 0; i < n; i++) {
        size_t len = strlen(names[i]->d_name);
        if (len > 4 && strcmp(names[i]->d_name + len - 4, ".lab") == 0 &&
            names[i]->d_name[0] >= '0' && names[i]->d_name[0] <= '9') {
            count++;
            used += (size_t)snprintf(numbers + used, cap - used, "%d\n", atoi(names[i]->d_name));
        }
        free(names[i]);
    }
    free(names);
    return count;
}

/* The "done when": installed under /usr in a scratch root, lesson 1
 * and lesson 2 pass from an empty folder, the labs go where the user says
 * (the current folder with a relative --lab) and never into the installation. */
START_TEST(test_installed_runner_plays_lessons_from_an_empty_folder)
{
    char *dest = test_tmpdir(), *class_dir = test_tmpdir();
    char runner[4096], lessons[4096], path[4096];
    make_target("install", dest);
    installed_path(runner, sizeof runner, dest, "bin/ocsplab-scenario");
    installed_path(lessons, sizeof lessons, dest, "share/ocsplab/lessons/");
    char *before = tree_listing(dest);
    ck_assert_int_eq(chdir(class_dir), 0); /* Check runs each test in its own process */

    /* --list names the installed lessons, found next to the program. */
    const char *list_argv[] = {runner, "--list", NULL};
    struct test_run run;
    ck_assert_int_eq(test_run(&run, LESSON_TIMEOUT_MS, NULL, list_argv), 0);
    char numbers[256];
    size_t lesson_count = source_lessons(numbers, sizeof numbers);
    ck_assert_msg(run.exit_code == 0 && test_count_of(run.out, lessons) == lesson_count &&
                      test_contains(run.out, "/share/ocsplab/demo.lab"),
                  "--list from an empty folder:\n%s%s", run.out, run.err);
    /* The titles line up, though an installation's paths are long. */
    long title_column = -1;
    for (const char *line = run.out; *line != 0;) {
        const char *gap = strstr(line + 2, "  "), *end = strchr(line, '\n');
        ck_assert_ptr_nonnull(gap);
        while (*gap == ' ')
            gap++;
        if (title_column < 0)
            title_column = gap - line;
        ck_assert_msg(gap - line == title_column, "--list titles not aligned:\n%s", run.out);
        line = end != NULL ? end + 1 : line + strlen(line);
    }
    test_run_free(&run);

    const char *lesson1_argv[] = {runner, "run", "--no-pause", "1", NULL};
    ck_assert_int_eq(test_run(&run, LESSON_TIMEOUT_MS, NULL, lesson1_argv), 0);
    ck_assert_msg(run.exit_code == 0 && test_contains(run.out, "expectations held"),
                  "lesson 1 with the installed runner: exit %d\n%s%s", run.exit_code,
                  test_tail_of(run.out), run.err);
    test_run_free(&run);

    const char *lesson2_argv[] = {runner, "run", "--no-pause", "--lab", "class", "2", NULL};
    ck_assert_int_eq(test_run(&run, LESSON_TIMEOUT_MS, NULL, lesson2_argv), 0);
    ck_assert_msg(run.exit_code == 0, "lesson 2 with the installed runner: exit %d\n%s%s",
                  run.exit_code, test_tail_of(run.out), run.err);
    test_run_free(&run);
    snprintf(path, sizeof path, "%s/class/02-with-stapling/trace.jsonl", class_dir);
    ck_assert_msg(access(path, F_OK) == 0, "no %s", path);

    /* The programs it ran could only be the installed ones: the runner looks
     * for ocsplab-ca and the others in its own folder, DEST/usr/bin. */

    char *after = tree_listing(dest);
    ck_assert_msg(strcmp(before, after) == 0,
                  "the run changed the installation:\nbefore\n%s\nafter\n%s", before, after);
    char left[4096];
    test_list_dir(class_dir, left, sizeof left);
    ck_assert_str_eq(left, "class"); /* lesson 1's temporary labs went away */
    free(before);
    free(after);
    free(dest);
    free(class_dir);
}
END_TEST

/* What a classroom machine needs besides the programs. */
START_TEST(test_install_puts_pages_docs_and_completion)
{
    static const char *const expected[] = {
        "bin/ocsplab-ca",
        "bin/ocsplab-responder",
        "bin/ocsplab-webserver",
        "bin/ocsplab-browser",
        "share/ocsplab/demo.lab",
        "share/ocsplab/lessons/01-without-stapling.lab",
        "share/man/man1/ocsplab-ca.1",
        "share/man/man1/ocsplab-scenario.1",
        "share/man/man5/ocsplab-scenario.5",
        "share/doc/ocsplab/README.md",
        "share/doc/ocsplab/docs/teacher-guide.md",
        "share/doc/ocsplab/docs/report.png",
        "share/doc/ocsplab/scenarios/README.md",
        "share/bash-completion/completions/ocsplab-scenario",
        "share/bash-completion/completions/ocsplab-ca",
    };
    char *dest = test_tmpdir(), path[4096];
    make_target("install", dest);
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
        installed_path(path, sizeof path, dest, expected[i]);
        ck_assert_msg(access(path, R_OK) == 0, "make install did not write %s", path);
    }
    installed_path(path, sizeof path, dest, "bin/ocsplab-ca");
    ck_assert_int_eq(access(path, X_OK), 0);
    free(dest);
}
END_TEST

/* Runs the installed completion for the words typed so far (the last one
 * being completed) and returns its candidates, one a line (caller frees). */
static char *complete(const char *dest, const char *words)
{
    char script[8192];
    snprintf(script, sizeof script,
             "PATH=%s%s/bin:$PATH; . %s%s/share/bash-completion/completions/ocsplab-scenario; "
             "COMP_WORDS=(%s); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _ocsplab; "
             "printf '%%s\\n' \"${COMPREPLY[@]}\"",
             dest, INSTALL_PREFIX, dest, INSTALL_PREFIX, words);
    const char *argv[] = {"bash", "--norc", "--noprofile", "-c", script, NULL};
    struct test_run run;
    ck_assert_int_eq(test_run(&run, LESSON_TIMEOUT_MS, NULL, argv), 0);
    ck_assert_msg(run.exit_code == 0, "bash: %s", run.err);
    char *out = strdup(run.out);
    test_run_free(&run);
    return out;
}

static const struct {
    const char *words, *expected;
} completion_cases[] = {
    {"ocsplab-ca ''", "init\nissue\nrevoke\nlist\n"},
    {"ocsplab-ca --lab x re", "revoke\n"},
    {"ocsplab-ca issue shop.test --must", "--must-staple\n"},
    {"ocsplab-ca revoke shop.test --reason key", "keyCompromise\n"},
    {"ocsplab-webserver shop.test --tls ''", "1.2\n1.3\nboth\n"},
    {"ocsplab-browser verify", "verify-staple\n"},
    {"ocsplab-responder --fau", "--fault\n"},
    {"ocsplab-scenario run --no-pause ''", NULL}, /* the lessons' numbers, then demo */
    {"ocsplab-scenario --li", "--list\n"},
};

/* The bash completion: commands, options (read from the installed programs'
 * --help), flag values, and lesson numbers from the installed lessons. */
START_TEST(test_completion)
{
    char *dest = test_tmpdir(), *empty = test_tmpdir();
    make_target("install", dest);
    ck_assert_int_eq(chdir(empty), 0); /* no files for `run` to offer */
    char lessons[256];
    source_lessons(lessons, sizeof lessons - 8);
    strcat(lessons, "demo\n");
    for (size_t i = 0; i < sizeof completion_cases / sizeof completion_cases[0]; i++) {
        char *got = complete(dest, completion_cases[i].words);
        const char *expected =
            completion_cases[i].expected != NULL ? completion_cases[i].expected : lessons;
        ck_assert_msg(strcmp(got, expected) == 0, "completing '%s': got\n%s\nwanted\n%s",
                      completion_cases[i].words, got, expected);
        free(got);
    }
    free(dest);
    free(empty);
}
END_TEST

static int count_file(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)path;
    (void)st;
    (void)ftw;
    return type == FTW_F || type == FTW_SL ? 1 : 0; /* a file stops the walk */
}

START_TEST(test_uninstall_removes_everything)
{
    char *dest = test_tmpdir();
    make_target("install", dest);
    make_target("uninstall", dest);
    char *left = tree_listing(dest);
    ck_assert_msg(nftw(dest, count_file, 16, FTW_PHYS) == 0,
                  "make uninstall left files behind:\n%s", left);
    free(left);
    free(dest);
}
END_TEST

/* debian/changelog names the version the programs print: a package built
 * from this tree says what it is. */
START_TEST(test_package_version_is_the_programs)
{
    char *changelog = test_read_text(LAB_SOURCE_DIR "/debian/changelog");
    ck_assert_ptr_nonnull(changelog);
    char want[64];
    snprintf(want, sizeof want, "ocsplab (%s) ", OCSPLAB_VERSION);
    ck_assert_msg(strncmp(changelog, want, strlen(want)) == 0,
                  "debian/changelog starts '%.40s', not '%s'", changelog, want);
    free(changelog);
}
END_TEST

/* Every library the build installs (scripts/install-deps.sh, BUILD_PACKAGES)
 * is a Build-Depends of the package too, or dpkg-buildpackage fails on a
 * clean machine; and so are wolfSSL's autotools. */
START_TEST(test_package_build_depends_on_what_the_build_needs)
{
    char *deps = test_read_text(LAB_SOURCE_DIR "/scripts/install-deps.sh");
    char *control = test_read_text(LAB_SOURCE_DIR "/debian/control");
    ck_assert_ptr_nonnull(deps);
    ck_assert_ptr_nonnull(control);
    const char *start = strstr(deps, "BUILD_PACKAGES=\"");
    ck_assert_ptr_nonnull(start);
    start += strlen("BUILD_PACKAGES=\"");
    const char *end = strchr(start, '"');
    ck_assert_ptr_nonnull(end);
    const char *build_depends = strstr(control, "Build-Depends:");
    ck_assert_ptr_nonnull(build_depends);
    size_t checked = 0;
    for (const char *p = start; p < end;) {
        while (p < end && (*p == ' ' || *p == '\n'))
            p++;
        const char *word_end = p;
        while (word_end < end && *word_end != ' ' && *word_end != '\n')
            word_end++;
        char word[64], entry[80];
        snprintf(word, sizeof word, "%.*s", (int)(word_end - p), p);
        p = word_end;
        bool is_library = strncmp(word, "lib", 3) == 0 && strstr(word, "-dev") != NULL;
        if (!is_library && strcmp(word, "autoconf") != 0 && strcmp(word, "automake") != 0 &&
            strcmp(word, "libtool") != 0 && strcmp(word, "pkg-config") != 0)
            continue;
        snprintf(entry, sizeof entry, " %s,", word);
        ck_assert_msg(strstr(build_depends, entry) != NULL,
                      "install-deps.sh installs %s for the build; debian/control's "
                      "Build-Depends does not name it",
                      word);
        checked++;
    }
    ck_assert_uint_ge(checked, 6);
    free(deps);
    free(control);
}
END_TEST

Suite *install_suite(void)
{
    Suite *s = suite_create("install");
    TCase *install = tcase_create("install");
    tcase_add_checked_fixture(install, scratch_setup, scratch_teardown);
    tcase_set_timeout(install, 120);
    tcase_add_test(install, test_installed_runner_plays_lessons_from_an_empty_folder);
    tcase_add_test(install, test_install_puts_pages_docs_and_completion);
    tcase_add_test(install, test_completion);
    tcase_add_test(install, test_uninstall_removes_everything);
    suite_add_tcase(s, install);
    TCase *package = tcase_create("package");
    tcase_add_test(package, test_package_version_is_the_programs);
    tcase_add_test(package, test_package_build_depends_on_what_the_build_needs);
    suite_add_tcase(s, package);
    return s;
}
