/* labdirs.c — a lab or a run folder, resolved into its labs' traces. */
#include "labdirs.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int scn_labdirs_find(const char *lab, struct scn_labdirs *out, struct errbuf *err)
{
    char path[LAB_PATH_MAX];
    memset(out, 0, sizeof *out);
    if (lab == NULL) {
        lab = LAB_DEFAULT_DIR;
        if (access(LAB_DEFAULT_DIR "/" LAB_TRACE_FILE, F_OK) != 0 &&
            is_dir(LAB_DEFAULT_DIR "/demo"))
            lab = LAB_DEFAULT_DIR "/demo";
    }
    if (strlen(lab) == 0 || strlen(lab) >= sizeof out->base ||
        file_path_join(path, sizeof path, lab, LAB_TRACE_FILE) != 0) {
        errbuf_set(err, "invalid --lab '%s'", lab);
        return -1;
    }
    snprintf(out->base, sizeof out->base, "%s", lab);
    out->count = 1;
    if (access(path, F_OK) == 0 || !is_dir(lab))
        return 0;
    out->is_run = true;
    out->count = 0;
    DIR *d = opendir(lab);
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL && out->count < SCN_LABDIRS_MAX) {
        char sub[LAB_PATH_MAX];
        if (e->d_name[0] == '.' || file_path_join(sub, sizeof sub, lab, e->d_name) != 0 ||
            file_path_join(path, sizeof path, sub, LAB_TRACE_FILE) != 0 || access(path, F_OK) != 0)
            continue;
        out->names[out->count] = strdup(e->d_name);
        if (out->names[out->count] != NULL)
            out->count++;
    }
    if (d != NULL)
        closedir(d);
    if (out->count == 0) {
        errbuf_set(err, "no trace in %s (run a scenario with --lab %s first)", lab, lab);
        return -1;
    }
    qsort(out->names, out->count, sizeof out->names[0], compare_names);
    return 0;
}

void scn_labdirs_free(struct scn_labdirs *dirs)
{
    if (dirs == NULL)
        return;
    for (size_t i = 0; i < dirs->count && dirs->is_run; i++)
        free(dirs->names[i]);
    memset(dirs, 0, sizeof *dirs);
}

int scn_labdirs_dir(const struct scn_labdirs *dirs, size_t i, char *out, size_t cap)
{
    if (i >= dirs->count)
        return -1;
    if (!dirs->is_run) {
        if (strlen(dirs->base) >= cap)
            return -1;
        snprintf(out, cap, "%s", dirs->base);
        return 0;
    }
    return file_path_join(out, cap, dirs->base, dirs->names[i]);
}

int scn_labdirs_trace(const struct scn_labdirs *dirs, size_t i, char *out, size_t cap)
{
    char dir[LAB_PATH_MAX];
    if (scn_labdirs_dir(dirs, i, dir, sizeof dir) != 0)
        return -1;
    return file_path_join(out, cap, dir, LAB_TRACE_FILE);
}
