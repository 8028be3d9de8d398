/* countmap.c — a fixed-size open-addressing table of counted strings. */
#include "countmap.h"

#include <stdlib.h>
#include <string.h>

int scn_countmap_init(struct scn_countmap *map, size_t max_keys)
{
    memset(map, 0, sizeof *map);
    /* At most half full, so a probe ends quickly at an empty slot. */
    size_t slots = 16;
    while (slots < max_keys * 2)
        slots *= 2;
    map->slots = calloc(slots, sizeof *map->slots);
    if (map->slots == NULL)
        return -1;
    map->slot_count = slots;
    map->max_keys = max_keys;
    return 0;
}

void scn_countmap_free(struct scn_countmap *map)
{
    if (map == NULL || map->slots == NULL)
        return;
    for (size_t i = 0; i < map->slot_count; i++)
        free(map->slots[i].key);
    free(map->slots);
    memset(map, 0, sizeof *map);
}

/* FNV-1a: short keys, no adversary worth a keyed hash (a full map stops
 * remembering; it never grows). */
static size_t hash_of(const char *key)
{
    uint64_t h = 1469598103934665603ULL;
    for (const unsigned char *p = (const unsigned char *)key; *p != 0; p++) {
        h ^= *p;
        h *= 1099511628211ULL;
    }
    return (size_t)h;
}

enum scn_countmap_result scn_countmap_add(struct scn_countmap *map, const char *key)
{
    size_t mask = map->slot_count - 1;
    for (size_t i = hash_of(key) & mask;; i = (i + 1) & mask) {
        struct scn_countmap_entry *slot = &map->slots[i];
        if (slot->key == NULL) {
            if (map->key_count == map->max_keys)
                return SCN_COUNTMAP_FULL;
            slot->key = strdup(key);
            if (slot->key == NULL)
                return SCN_COUNTMAP_NOMEM;
            slot->count = 1;
            map->key_count++;
            return SCN_COUNTMAP_NEW;
        }
        if (strcmp(slot->key, key) == 0) {
            slot->count++;
            return SCN_COUNTMAP_OLD;
        }
    }
}
