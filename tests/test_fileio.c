/* test_fileio.c — common/fileio: atomic writes with an exact mode whatever
 * the umask, the reader that a replacement never shows half a file, bounded
 * whole-file reads (one byte over the limit is an error), staged files that
 * appear together or not at all, one-level mkdir, and path joins that refuse
 * rather than truncate. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "testutil.h"

static void scratch_setup(void)
{
    test_scratch_enter("fileio");
}

static void scratch_teardown(void)
{
    test_scratch_leave();
}

/* Each case gets an empty directory of its own inside the suite's scratch
 * directory (which the unchecked teardown removes, even after a failure). */
static char case_dir[4096];

static void case_setup(void)
{
    char *dir = test_tmpdir();
    snprintf(case_dir, sizeof case_dir, "%s", dir);
    free(dir);
}

static void scratch_path(char *out, size_t cap, const char *name)
{
    ck_assert_int_eq(file_path_join(out, cap, case_dir, name), 0);
}

static mode_t mode_of(const char *path)
{
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    return st.st_mode & 07777;
}

/* The whole file as text, compared with `want`. */
static void assert_content(const char *path, const char *want)
{
    char *text = test_read_text(path);
    ck_assert_msg(text != NULL, "cannot read %s", path);
    ck_assert_str_eq(text, want);
    free(text);
}

/* ---- file_write_atomic ------------------------------------------------------------------ */

static const struct mode_row {
    mode_t umask_value;
    mode_t mode;
} mode_rows[] = {
    {022, 0600}, /* keys */
    {022, 0644}, /* certificates, staples */
    {077, 0644}, /* a strict umask does not narrow a certificate */
    {0, 0600},   /* nor does an open one widen a key */
    {027, 0640}, {022, 0400},
};

START_TEST(test_write_atomic_mode)
{
    const struct mode_row *row = &mode_rows[_i];
    char path[4096], names[256];
    struct errbuf err = {{0}};
    scratch_path(path, sizeof path, "file");
    mode_t old_umask = umask(row->umask_value);
    int rc = file_write_atomic(path, "first\n", 6, row->mode, &err);
    umask(old_umask);
    ck_assert_msg(rc == 0, "%s", err.msg);
    ck_assert_msg(mode_of(path) == row->mode, "umask %03o, mode %03o: got %03o",
                  (unsigned)row->umask_value, (unsigned)row->mode, (unsigned)mode_of(path));
    assert_content(path, "first\n");
    /* A replacement takes the new mode and leaves no temporary behind. */
    ck_assert_int_eq(file_write_atomic(path, "second\n", 7, 0644, &err), 0);
    ck_assert_uint_eq(mode_of(path), 0644);
    assert_content(path, "second\n");
    test_list_dir(case_dir, names, sizeof names);
    ck_assert_str_eq(names, "file");
}
END_TEST

/* Replacement by rename: a reader that opened the old file keeps reading the
 * whole old file, and a new reader sees the whole new one, never a mix. */
START_TEST(test_write_atomic_replaces_whole_file)
{
    enum { SIZE = 256 * 1024 };
    char path[4096], names[256];
    struct errbuf err = {{0}};
    char *old_bytes = malloc(SIZE), *new_bytes = malloc(SIZE), *seen = malloc(SIZE + 1);
    ck_assert(old_bytes != NULL && new_bytes != NULL && seen != NULL);
    memset(old_bytes, 'o', SIZE);
    memset(new_bytes, 'n', SIZE);
    scratch_path(path, sizeof path, "staple.der");
    ck_assert_int_eq(file_write_atomic(path, old_bytes, SIZE, 0644, &err), 0);

    int fd = open(path, O_RDONLY);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(file_write_atomic(path, new_bytes, SIZE, 0644, &err), 0);
    size_t got = 0;
    for (ssize_t n; (n = read(fd, seen + got, SIZE + 1 - got)) > 0;)
        got += (size_t)n;
    close(fd);
    ck_assert_uint_eq(got, SIZE);
    ck_assert_int_eq(memcmp(seen, old_bytes, SIZE), 0);

    uint8_t *now = NULL;
    size_t now_len = 0;
    ck_assert_int_eq(file_read_all(path, SIZE, &now, &now_len, &err), 0);
    ck_assert_uint_eq(now_len, SIZE);
    ck_assert_int_eq(memcmp(now, new_bytes, SIZE), 0);
    free(now);

    /* A replacement that cannot happen (the name is a directory) keeps
     * what was there and cleans up its temporary. */
    char dir[4096];
    scratch_path(dir, sizeof dir, "a-directory");
    ck_assert_int_eq(mkdir(dir, 0755), 0);
    ck_assert_int_eq(file_write_atomic(dir, "x", 1, 0644, &err), -1);
    ck_assert_msg(test_contains(err.msg, "cannot replace") && test_contains(err.msg, dir), "%s",
                  err.msg);
    test_list_dir(case_dir, names, sizeof names);
    ck_assert_str_eq(names, "a-directory,staple.der");

    char missing[4096];
    scratch_path(missing, sizeof missing, "no-such-dir/file");
    ck_assert_int_eq(file_write_atomic(missing, "x", 1, 0644, &err), -1);
    ck_assert_msg(test_contains(err.msg, "cannot write") && test_contains(err.msg, missing), "%s",
                  err.msg);
    free(old_bytes);
    free(new_bytes);
    free(seen);
}
END_TEST

/* ---- file_read_all ---------------------------------------------------------------------- */

static const struct read_row {
    size_t file_bytes;
    size_t max_bytes;
    bool is_ok;
} read_rows[] = {
    {0, 0, true},    {0, 16, true},         {15, 16, true},
    {16, 16, true},  /* exactly the limit */
    {17, 16, false}, /* one byte over */
    {1, 0, false},   {70000, 65536, false}, {65536, 65536, true},
};

START_TEST(test_read_all_bounds)
{
    const struct read_row *row = &read_rows[_i];
    char path[4096];
    struct errbuf err = {{0}};
    uint8_t *bytes = malloc(row->file_bytes + 1), *data = (uint8_t *)"untouched";
    size_t len = 99;
    ck_assert_ptr_nonnull(bytes);
    for (size_t i = 0; i < row->file_bytes; i++)
        bytes[i] = (uint8_t)('a' + i % 26);
    scratch_path(path, sizeof path, "input");
    ck_assert_int_eq(file_write_atomic(path, bytes, row->file_bytes, 0644, &err), 0);
    int rc = file_read_all(path, row->max_bytes, &data, &len, &err);
    if (row->is_ok) {
        ck_assert_msg(rc == 0, "%zu bytes, max %zu: %s", row->file_bytes, row->max_bytes, err.msg);
        ck_assert_uint_eq(len, row->file_bytes);
        ck_assert_int_eq(memcmp(data, bytes, len), 0);
        ck_assert_int_eq(data[len], 0); /* NUL-terminated for text readers */
        free(data);
    } else {
        char want[64];
        snprintf(want, sizeof want, "larger than %zu bytes", row->max_bytes);
        ck_assert_msg(rc == -1 && test_contains(err.msg, want), "%zu bytes, max %zu: %s",
                      row->file_bytes, row->max_bytes, err.msg);
        ck_assert_ptr_null(data);
        ck_assert_uint_eq(len, 0);
    }
    free(bytes);
}
END_TEST

START_TEST(test_read_all_missing)
{
    char path[4096];
    struct errbuf err = {{0}};
    uint8_t *data = (uint8_t *)"untouched";
    size_t len = 99;
    scratch_path(path, sizeof path, "missing");
    ck_assert_int_eq(file_read_all(path, 16, &data, &len, &err), -1);
    ck_assert_ptr_null(data);
    ck_assert_msg(test_contains(err.msg, "cannot read") && test_contains(err.msg, path) &&
                      test_contains(err.msg, "No such file"),
                  "%s", err.msg);
}
END_TEST

/* ---- file_stage ------------------------------------------------------------------------- */

START_TEST(test_stage_commit_and_abort)
{
    char key[4096], cert[4096], names[256];
    struct errbuf err = {{0}};
    struct file_stage stage = {0};
    scratch_path(key, sizeof key, "shop.key");
    scratch_path(cert, sizeof cert, "shop.pem");
    ck_assert_int_eq(file_write_atomic(cert, "old cert", 8, 0644, &err), 0);

    /* Staged: written in full under temporary names, the old files untouched. */
    ck_assert_int_eq(file_stage_add(&stage, key, "new key", 7, 0600, &err), 0);
    ck_assert_int_eq(file_stage_add(&stage, cert, "new cert", 8, 0644, &err), 0);
    ck_assert_uint_eq(stage.count, 2);
    ck_assert_int_ne(access(key, F_OK), 0);
    assert_content(cert, "old cert");
    ck_assert_uint_eq(mode_of(stage.temp_path[0]), 0600);

    /* Committed: both in place with their modes, no temporaries. */
    ck_assert_int_eq(file_stage_commit(&stage, &err), 0);
    assert_content(key, "new key");
    assert_content(cert, "new cert");
    ck_assert_uint_eq(mode_of(key), 0600);
    test_list_dir(case_dir, names, sizeof names);
    ck_assert_str_eq(names, "shop.key,shop.pem");
    file_stage_abort(&stage); /* after a commit: removes nothing */
    assert_content(key, "new key");

    /* Aborted: the temporaries go, the committed files stay as they were. */
    struct file_stage second = {0};
    ck_assert_int_eq(file_stage_add(&second, key, "other key", 9, 0600, &err), 0);
    ck_assert_int_eq(file_stage_add(&second, cert, "other cert", 10, 0644, &err), 0);
    file_stage_abort(&second);
    assert_content(key, "new key");
    assert_content(cert, "new cert");
    test_list_dir(case_dir, names, sizeof names);
    ck_assert_str_eq(names, "shop.key,shop.pem");

    struct file_stage zeroed = {0};
    file_stage_abort(&zeroed);
}
END_TEST

START_TEST(test_stage_limits)
{
    char path[4096], names[512];
    struct errbuf err = {{0}};
    struct file_stage stage = {0};
    for (int i = 0; i < FILE_STAGE_MAX; i++) {
        char name[16];
        snprintf(name, sizeof name, "f%d", i);
        scratch_path(path, sizeof path, name);
        ck_assert_int_eq(file_stage_add(&stage, path, "x", 1, 0644, &err), 0);
    }
    scratch_path(path, sizeof path, "one-too-many");
    ck_assert_int_eq(file_stage_add(&stage, path, "x", 1, 0644, &err), -1);
    ck_assert_msg(test_contains(err.msg, "cannot stage"), "%s", err.msg);
    ck_assert_uint_eq(stage.count, FILE_STAGE_MAX);
    file_stage_abort(&stage);
    test_list_dir(case_dir, names, sizeof names);
    ck_assert_str_eq(names, "");

    /* A path that would not fit the stage is refused, not cut. */
    struct file_stage other = {0};
    char *long_path = malloc(sizeof other.final_path[0] + 1);
    ck_assert_ptr_nonnull(long_path);
    memset(long_path, 'a', sizeof other.final_path[0]);
    long_path[sizeof other.final_path[0]] = 0;
    ck_assert_int_eq(file_stage_add(&other, long_path, "x", 1, 0644, &err), -1);
    ck_assert_uint_eq(other.count, 0);
    free(long_path);
}
END_TEST

/* ---- file_ensure_dir and file_path_join ------------------------------------------------- */

START_TEST(test_ensure_dir)
{
    char dir[4096], file[4096], deep[4096];
    struct errbuf err = {{0}};
    scratch_path(dir, sizeof dir, "certs");
    mode_t old_umask = umask(0);
    int rc = file_ensure_dir(dir, 0750, &err);
    umask(old_umask);
    ck_assert_msg(rc == 0, "%s", err.msg);
    ck_assert_uint_eq(mode_of(dir), 0750);
    ck_assert_int_eq(file_ensure_dir(dir, 0700, &err), 0); /* already there: fine, untouched */
    ck_assert_uint_eq(mode_of(dir), 0750);

    scratch_path(file, sizeof file, "plain");
    ck_assert_int_eq(file_write_atomic(file, "x", 1, 0644, &err), 0);
    ck_assert_int_eq(file_ensure_dir(file, 0755, &err), -1);
    ck_assert_msg(test_contains(err.msg, "a file of that name exists"), "%s", err.msg);

    scratch_path(deep, sizeof deep, "no/such/parent");
    ck_assert_int_eq(file_ensure_dir(deep, 0755, &err), -1);
    ck_assert_msg(test_contains(err.msg, "cannot create directory") &&
                      test_contains(err.msg, "No such file"),
                  "%s", err.msg);
}
END_TEST

START_TEST(test_path_join)
{
    static const struct {
        const char *dir, *name;
        size_t cap;
        const char *want; /* NULL: refused */
    } rows[] = {
        {"lab", "ca.db", 64, "lab/ca.db"},
        {"lab", "ca.db", 10, "lab/ca.db"}, /* exactly the room, NUL included */
        {"lab", "ca.db", 9, NULL},         /* one short: no truncated path */
        {"lab", "ca.db", 1, NULL},
        {"", "x", 3, "/x"},
        {"/tmp/a b", "certs/shop.test.pem", 64, "/tmp/a b/certs/shop.test.pem"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char out[64];
        int rc = file_path_join(out, rows[i].cap, rows[i].dir, rows[i].name);
        if (rows[i].want != NULL) {
            ck_assert_msg(rc == 0, "row %zu refused", i);
            ck_assert_str_eq(out, rows[i].want);
        } else {
            ck_assert_msg(rc == -1, "row %zu accepted: %s", i, out);
        }
    }
}
END_TEST

Suite *fileio_suite(void)
{
    Suite *s = suite_create("fileio");
    TCase *tc = tcase_create("fileio");
    tcase_add_unchecked_fixture(tc, scratch_setup, scratch_teardown);
    tcase_add_checked_fixture(tc, case_setup, NULL);
    tcase_add_loop_test(tc, test_write_atomic_mode, 0,
                        (int)(sizeof mode_rows / sizeof mode_rows[0]));
    tcase_add_test(tc, test_write_atomic_replaces_whole_file);
    tcase_add_loop_test(tc, test_read_all_bounds, 0, (int)(sizeof read_rows / sizeof read_rows[0]));
    tcase_add_test(tc, test_read_all_missing);
    tcase_add_test(tc, test_stage_commit_and_abort);
    tcase_add_test(tc, test_stage_limits);
    tcase_add_test(tc, test_ensure_dir);
    tcase_add_test(tc, test_path_join);
    suite_add_tcase(s, tc);
    return s;
}
