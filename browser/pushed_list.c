/* pushed_list.c — read the file, parse it, check its signature and age. */
#include "pushed_list.h"

#include <stdlib.h>
#include <string.h>

#include "fileio.h"

int pushed_list_load(const char *path, const struct x509_cert *root, int64_t now,
                     struct pushed_list *out, const char **reason, struct errbuf *err)
{
    memset(out, 0, sizeof *out);
    *reason = "";
    if (file_read_all(path, PUSHED_LIST_MAX_BYTES, &out->der, &out->len, err) != 0)
        return -1;
    if (revlist_parse(&out->list, out->der, out->len, err) != 0) {
        *reason = "malformed";
        return 1;
    }
    if (revlist_verify(&out->list, root, now, reason, err) != 0)
        return 1;
    return 0;
}

void pushed_list_free(struct pushed_list *pushed)
{
    if (pushed == NULL)
        return;
    free(pushed->der);
    memset(pushed, 0, sizeof *pushed);
}
