/* load.c — reading scenario files and their includes. */
#include "load.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"

void scn_load_stem(const char *path, char *stem, size_t cap)
{
    const char *base = strrchr(path, '/');
    base = base != NULL ? base + 1 : path;
    size_t len = strlen(base);
    if (len > 4 && strcmp(base + len - 4, ".lab") == 0)
        len -= 4;
    size_t out = 0;
    /* The stem names a directory: keep it to plain characters. */
    for (size_t i = 0; i < len && out + 1 < cap; i++) {
        char c = base[i];
        bool is_plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
        bool is_leading_dot = out == 0 && c == '.';
        stem[out] = is_plain && !is_leading_dot ? c : '_';
        out++;
    }
    if (out == 0 && cap > 1)
        stem[out++] = '_';
    stem[out] = 0;
}

static int read_text(const char *path, uint8_t **text, size_t *len, char *why, size_t cap)
{
    struct errbuf err = {{0}};
    if (file_read_all(path, SCN_MAX_FILE_BYTES, text, len, &err) != 0) {
        snprintf(why, cap, "%s", err.msg);
        return -1;
    }
    return 0;
}

static int load(const char *path, int depth, struct scn_script *out, struct scn_load_error *err)
{
    uint8_t *text = NULL;
    size_t len = 0;
    struct scn_error parse_err;

    memset(out, 0, sizeof *out);
    snprintf(err->path, sizeof err->path, "%s", path);
    err->line = 0;
    if (strlen(path) >= SCN_MAX_PATH) {
        snprintf(err->msg, sizeof err->msg, "the path is too long");
        return -1;
    }
    if (read_text(path, &text, &len, err->msg, sizeof err->msg) != 0)
        return -1;
    int rc = scn_parse((const char *)text, len, out, &parse_err);
    free(text);
    if (rc != 0) {
        err->line = parse_err.line;
        snprintf(err->msg, sizeof err->msg, "%s", parse_err.msg);
        return -1;
    }
    snprintf(out->path, sizeof out->path, "%s", path);
    scn_load_stem(path, out->stem, sizeof out->stem);
    for (size_t i = 0; i < out->count; i++) {
        struct scn_step *step = out->steps[i];
        if (step->kind != SCN_INCLUDE)
            continue;
        if (depth + 1 > SCN_MAX_INCLUDE_DEPTH) {
            err->line = step->line;
            snprintf(err->msg, sizeof err->msg,
                     "includes nest more than %d deep (does a file include itself?)",
                     SCN_MAX_INCLUDE_DEPTH);
            goto fail;
        }
        char child_path[SCN_MAX_PATH];
        const char *slash = strrchr(path, '/');
        int n = step->text[0] == '/' || slash == NULL
                    ? snprintf(child_path, sizeof child_path, "%s", step->text)
                    : snprintf(child_path, sizeof child_path, "%.*s/%s", (int)(slash - path), path,
                               step->text);
        if (n < 0 || (size_t)n >= sizeof child_path) {
            err->line = step->line;
            snprintf(err->msg, sizeof err->msg, "the included path is too long");
            goto fail;
        }
        step->included = calloc(1, sizeof *step->included);
        if (step->included == NULL) {
            err->line = step->line;
            snprintf(err->msg, sizeof err->msg, "out of memory");
            goto fail;
        }
        if (load(child_path, depth + 1, step->included, err) != 0) {
            if (err->line == 0 && strcmp(err->path, child_path) == 0) {
                /* The file itself is the problem: point at the include line. */
                char why[SCN_MAX_ERROR];
                snprintf(why, sizeof why, "%s", err->msg);
                snprintf(err->path, sizeof err->path, "%s", path);
                err->line = step->line;
                snprintf(err->msg, sizeof err->msg, "cannot include %.200s: %.280s", step->text,
                         why);
            }
            goto fail;
        }
    }
    return 0;
fail:
    scn_script_free(out);
    return -1;
}

int scn_load_file(const char *path, struct scn_script *out, struct scn_load_error *err)
{
    memset(err, 0, sizeof *err);
    return load(path, 0, out, err);
}

void scn_load_title(const char *path, char *title, size_t cap)
{
    uint8_t *text = NULL;
    size_t len = 0;
    char why[SCN_MAX_ERROR];
    title[0] = 0;
    if (read_text(path, &text, &len, why, sizeof why) != 0)
        return;
    scn_peek_title((const char *)text, len, title, cap);
    free(text);
}
