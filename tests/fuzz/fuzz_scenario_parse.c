/* fuzz_scenario_parse.c — libFuzzer target for the scenario language
 * (scenarios/parse.c), which reads files teachers edit by hand; the Makefile
 * links every program's library into fuzz targets, as it does for the tests.
 * Any input must either fail with a line inside the input and a message, or
 * give steps whose every field is a terminated string within its bounds, in
 * line order; and the steps' own text must parse again to the same steps. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../scenarios/parse.h"

#include "fuzz_check.h"

static bool terminated(const char *s, size_t cap)
{
    return memchr(s, 0, cap) != NULL;
}

static size_t count_lines(const uint8_t *data, size_t size)
{
    size_t lines = 1;
    for (size_t i = 0; i < size; i++)
        lines += data[i] == '\n';
    return lines;
}

static void check_step(const struct scn_step *s, int previous_line)
{
    FUZZ_CHECK(s->line > previous_line);
    FUZZ_CHECK((int)s->kind >= SCN_TITLE && s->kind <= SCN_CA_REVLIST);
    FUZZ_CHECK(terminated(s->source, sizeof s->source) && s->source[0] != 0);
    FUZZ_CHECK(terminated(s->text, sizeof s->text));
    FUZZ_CHECK(terminated(s->name, sizeof s->name) && terminated(s->site, sizeof s->site));
    FUZZ_CHECK(terminated(s->file, sizeof s->file) && terminated(s->signer, sizeof s->signer));
    FUZZ_CHECK(s->arg_count <= SCN_MAX_ARGS);
    for (size_t i = 0; i < s->arg_count; i++) {
        FUZZ_CHECK(s->arg_offsets[i] < sizeof s->args);
        FUZZ_CHECK(terminated(s->args + s->arg_offsets[i], sizeof s->args - s->arg_offsets[i]));
    }
    FUZZ_CHECK(s->included == NULL); /* only the loader fills it */
    if (s->kind == SCN_START || s->kind == SCN_VISIT || s->kind == SCN_STOP)
        FUZZ_CHECK(scn_is_plain_name(s->name));
    if (s->kind == SCN_SAVE_STAPLE || s->kind == SCN_FORGE || s->kind == SCN_CHECK)
        FUZZ_CHECK(scn_is_plain_name(s->file) && scn_is_site_name(s->site));
    if (s->kind == SCN_CA_REVLIST)
        FUZZ_CHECK(scn_is_plain_name(s->file));
    if (s->kind == SCN_ADVANCE)
        FUZZ_CHECK(s->seconds >= 1 && s->seconds <= SCN_MAX_ADVANCE);
    if (s->kind == SCN_WATCH)
        FUZZ_CHECK(s->every_seconds >= 1 && s->seconds / s->every_seconds <= SCN_MAX_WATCH_TICKS);
    if (s->kind == SCN_EXPECT || (s->kind == SCN_WATCH && s->has_until)) {
        FUZZ_CHECK(s->cond.filter_count <= SCN_MAX_FILTERS);
        FUZZ_CHECK((int)s->cond.op >= SCN_OP_EQ && s->cond.op <= SCN_OP_LT);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct scn_script script, again;
    struct scn_error err;
    char title[64];

    scn_peek_title((const char *)data, size, title, sizeof title);
    FUZZ_CHECK(terminated(title, sizeof title));

    if (scn_parse((const char *)data, size, &script, &err) != 0) {
        FUZZ_CHECK(script.count == 0 && script.steps == NULL);
        FUZZ_CHECK(terminated(err.msg, sizeof err.msg) && err.msg[0] != 0);
        FUZZ_CHECK(err.line >= 0 && (size_t)err.line <= count_lines(data, size));
        return 0;
    }
    FUZZ_CHECK(terminated(script.title, sizeof script.title));
    int line = 0;
    size_t text_len = 0;
    for (size_t i = 0; i < script.count; i++) {
        check_step(script.steps[i], line);
        line = script.steps[i]->line;
        text_len += strlen(script.steps[i]->source) + 1;
    }
    /* The steps as written, one per line, are the same scenario. */
    char *text = malloc(text_len + 1);
    FUZZ_CHECK(text != NULL);
    size_t n = 0;
    for (size_t i = 0; i < script.count; i++) {
        size_t len = strlen(script.steps[i]->source);
        memcpy(text + n, script.steps[i]->source, len);
        n += len;
        text[n++] = '\n';
    }
    FUZZ_CHECK(scn_parse(text, n, &again, &err) == 0);
    FUZZ_CHECK(again.count == script.count);
    for (size_t i = 0; i < script.count; i++) {
        const struct scn_step *a = script.steps[i], *b = again.steps[i];
        FUZZ_CHECK(a->kind == b->kind && a->arg_count == b->arg_count);
        FUZZ_CHECK(strcmp(a->text, b->text) == 0 && strcmp(a->name, b->name) == 0);
        for (size_t k = 0; k < a->arg_count; k++)
            FUZZ_CHECK(strcmp(scn_step_arg(a, k), scn_step_arg(b, k)) == 0);
    }
    free(text);
    scn_script_free(&again);
    scn_script_free(&script);
    return 0;
}
