/* test_scenario_datadir.c — how the runner finds itself, its siblings and
 * its lessons (scenarios/datadir.c): the name prefix of an installed program,
 * and the order of the places that may hold lessons/, on real folders laid
 * out as a checkout and as an installation moved under another root. */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../scenarios/datadir.h"
#include "fileio.h"
#include "testutil.h"

static void scratch_setup(void)
{
    test_scratch_enter("scenario_datadir");
}

static void scratch_teardown(void)
{
    test_scratch_leave();
}

static const struct {
    const char *exe, *bin_dir, *prefix;
} self_cases[] = {
    {"/usr/bin/ocsplab-scenario", "/usr/bin", "ocsplab-"},
    {"/home/t/ocsp-lab/bin/scenario", "/home/t/ocsp-lab/bin", ""},
    {"/opt/lab/bin/my-scenario", "/opt/lab/bin", "my-"},
    {"/opt/lab/bin/runner", "/opt/lab/bin", ""}, /* renamed: siblings keep their names */
    {"/scenario", "/", ""},
    /* A prefix longer than the field would name siblings that do not exist. */
    {"/x/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-scenario", "/x", ""},
};

START_TEST(test_self_from_path)
{
    struct scn_self self;
    const char *exe = self_cases[_i].exe;
    ck_assert_int_eq(scn_self_from_path(exe, &self), 0);
    ck_assert_str_eq(self.bin_dir, self_cases[_i].bin_dir);
    ck_assert_str_eq(self.prefix, self_cases[_i].prefix);
}
END_TEST

START_TEST(test_self_without_a_folder)
{
    struct scn_self self;
    ck_assert_int_eq(scn_self_from_path("scenario", &self), -1);
}
END_TEST

START_TEST(test_self_find_is_this_program)
{
    struct scn_self self;
    char exe[PATH_MAX], dir[PATH_MAX];
    ck_assert_int_eq(scn_self_find(&self), 0);
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    ck_assert_int_gt(n, 0);
    exe[n] = 0;
    snprintf(dir, sizeof dir, "%s", exe);
    *strrchr(dir, '/') = 0;
    ck_assert_str_eq(self.bin_dir, dir);
}
END_TEST

/* A scratch folder by its real name, as scn_datadir_find answers. */
static char *real_tmpdir(void)
{
    char *dir = test_tmpdir(), *real = realpath(dir, NULL);
    ck_assert_ptr_nonnull(real);
    free(dir);
    return real;
}

/* mkdir -p ROOT/REL */
static void make_dirs(const char *root, const char *rel)
{
    char path[LAB_PATH_MAX];
    ck_assert_int_eq(file_path_join(path, sizeof path, root, rel), 0);
    for (char *s = path + strlen(root) + 1; *s != 0; s++) {
        if (*s != '/')
            continue;
        *s = 0;
        mkdir(path, 0755);
        *s = '/';
    }
    ck_assert_msg(mkdir(path, 0755) == 0, "mkdir %s", path);
}

/* Folders laid out under a scratch root, which is also the current folder;
 * the program lives in BIN, was built for the data directory COMPILED
 * (relative to the root here; NULL for none) and looks in BIN/../share/ocsplab
 * first. WANT is the folder found, relative to the root, or NULL when none
 * is and the answer is the bare "scenarios". */
static const struct {
    const char *what;
    const char *dirs[3];
    const char *bin, *compiled, *want;
} find_cases[] = {
    {"an installation unpacked under another root (DESTDIR, dpkg -x) finds its own lessons",
     {"usr/bin", "usr/share/ocsplab/lessons", "elsewhere/share/ocsplab/lessons"},
     "usr/bin",
     "elsewhere/share/ocsplab",
     "usr/share/ocsplab"},
    {"a program moved away from its lessons finds the data directory it was built for",
     {"usr/bin", "elsewhere/share/ocsplab/lessons", NULL},
     "usr/bin",
     "elsewhere/share/ocsplab",
     "elsewhere/share/ocsplab"},
    {"a checkout's bin/ finds the checkout's lessons before an installed copy",
     {"lab/bin", "lab/scenarios/lessons", "usr/share/ocsplab/lessons"},
     "lab/bin",
     "usr/share/ocsplab",
     "lab/scenarios"},
    {"build/asan/scenarios holds objects, not lessons: ./scenarios is next",
     {"build/asan/bin", "build/asan/scenarios", "scenarios/lessons"},
     "build/asan/bin",
     "nowhere",
     "scenarios"},
    {"nothing anywhere: the usual name, for the message", {"bin", NULL, NULL}, "bin", NULL, NULL},
};

START_TEST(test_datadir_find)
{
    char *root = real_tmpdir(), bin[LAB_PATH_MAX], compiled[LAB_PATH_MAX];
    char want[LAB_PATH_MAX], got[LAB_PATH_MAX];
    for (size_t i = 0; i < 3 && find_cases[_i].dirs[i] != NULL; i++)
        make_dirs(root, find_cases[_i].dirs[i]);
    ck_assert_int_eq(chdir(root), 0); /* Check runs each test in its own process */
    ck_assert_int_eq(file_path_join(bin, sizeof bin, root, find_cases[_i].bin), 0);
    struct scn_datadir_hints hints = {"../share/ocsplab", NULL};
    if (find_cases[_i].compiled != NULL) {
        ck_assert_int_eq(file_path_join(compiled, sizeof compiled, root, find_cases[_i].compiled),
                         0);
        hints.compiled = compiled;
    }
    if (find_cases[_i].want != NULL)
        ck_assert_int_eq(file_path_join(want, sizeof want, root, find_cases[_i].want), 0);
    else
        snprintf(want, sizeof want, "scenarios");
    scn_datadir_find(bin, &hints, got, sizeof got);
    ck_assert_msg(strcmp(got, want) == 0, "%s:\n found %s\n wanted %s", find_cases[_i].what, got,
                  want);
    test_rmtree(root);
    free(root);
}
END_TEST

/* No hints at all (a build that was told nothing) is the checkout's rules. */
START_TEST(test_datadir_without_hints)
{
    char *root = real_tmpdir(), got[LAB_PATH_MAX];
    ck_assert_int_eq(chdir(root), 0);
    scn_datadir_find(root, NULL, got, sizeof got);
    ck_assert_str_eq(got, "scenarios");
    test_rmtree(root);
    free(root);
}
END_TEST

Suite *scenario_datadir_suite(void)
{
    Suite *s = suite_create("scenario_datadir");
    TCase *self = tcase_create("self");
    tcase_add_loop_test(self, test_self_from_path, 0,
                        (int)(sizeof self_cases / sizeof self_cases[0]));
    tcase_add_test(self, test_self_without_a_folder);
    tcase_add_test(self, test_self_find_is_this_program);
    suite_add_tcase(s, self);
    TCase *find = tcase_create("datadir");
    tcase_add_checked_fixture(find, scratch_setup, scratch_teardown);
    tcase_add_loop_test(find, test_datadir_find, 0,
                        (int)(sizeof find_cases / sizeof find_cases[0]));
    tcase_add_test(find, test_datadir_without_hints);
    suite_add_tcase(s, find);
    return s;
}
