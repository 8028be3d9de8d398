/* datadir.c — the runner's own folder, its siblings' name prefix, and the
 * folder of its lessons, in a checkout and in an installation (datadir.h).
 * Everything here only reads: the labs go under the current folder or --lab. */
#include "datadir.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"

#define SCN_SELF_NAME "scenario"

int scn_self_from_path(const char *exe_path, struct scn_self *out)
{
    const char *slash = strrchr(exe_path, '/');
    if (slash == NULL)
        return -1;
    size_t dir_len = (size_t)(slash - exe_path);
    if (dir_len == 0)
        dir_len = 1; /* "/scenario": the root folder */
    if (dir_len >= sizeof out->bin_dir)
        return -1;
    memcpy(out->bin_dir, exe_path, dir_len);
    out->bin_dir[dir_len] = 0;
    const char *name = slash + 1;
    size_t len = strlen(name), own = strlen(SCN_SELF_NAME);
    out->prefix[0] = 0;
    if (len > own && strcmp(name + len - own, SCN_SELF_NAME) == 0 && len - own < sizeof out->prefix)
        snprintf(out->prefix, sizeof out->prefix, "%.*s", (int)(len - own), name);
    return 0;
}

int scn_self_find(struct scn_self *out)
{
    char exe[LAB_PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0 || (size_t)n >= sizeof exe - 1)
        return -1;
    exe[n] = 0;
    return scn_self_from_path(exe, out);
}

/* `dir` as an absolute path in out, when dir/lessons is a directory. */
static bool holds_lessons(const char *dir, char *out, size_t cap)
{
    char lessons[LAB_PATH_MAX], real[PATH_MAX];
    struct stat st;
    if (file_path_join(lessons, sizeof lessons, dir, "lessons") != 0 || stat(lessons, &st) != 0 ||
        !S_ISDIR(st.st_mode) || realpath(dir, real) == NULL || strlen(real) >= cap)
        return false;
    memcpy(out, real, strlen(real) + 1);
    return true;
}

void scn_datadir_find(const char *bin_dir, const struct scn_datadir_hints *hints, char *out,
                      size_t cap)
{
    char near_bin[2][LAB_PATH_MAX] = {"", ""};
    const char *from_bin = hints != NULL ? hints->from_bin : NULL;
    if (from_bin != NULL && from_bin[0] != 0 &&
        file_path_join(near_bin[0], sizeof near_bin[0], bin_dir, from_bin) != 0)
        near_bin[0][0] = 0;
    if (file_path_join(near_bin[1], sizeof near_bin[1], bin_dir, "../scenarios") != 0)
        near_bin[1][0] = 0;
    const char *candidates[] = {near_bin[0], near_bin[1], hints != NULL ? hints->compiled : NULL,
                                "scenarios"};
    for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++)
        if (candidates[i] != NULL && candidates[i][0] != 0 &&
            holds_lessons(candidates[i], out, cap))
            return;
    snprintf(out, cap, "scenarios");
}
