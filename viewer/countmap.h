/* countmap.h — distinct strings with a count each (client addresses the CA
 * saw, address × site × requester pairs), remembering at most a fixed number:
 * a trace of any size costs the same memory. Open addressing in a table sized
 * once, so a lookup stays O(1) however many events repeat a key. */
#ifndef OCSPLAB_SCENARIOS_COUNTMAP_H
#define OCSPLAB_SCENARIOS_COUNTMAP_H

#include <stddef.h>
#include <stdint.h>

struct scn_countmap_entry {
    char *key; /* owned by the map */
    int64_t count;
};

struct scn_countmap {
    struct scn_countmap_entry *slots;
    size_t slot_count; /* a power of two, at least twice max_keys */
    size_t key_count;
    size_t max_keys;
};

enum scn_countmap_result {
    SCN_COUNTMAP_NEW,   /* a key not seen before, now remembered */
    SCN_COUNTMAP_OLD,   /* a remembered key, counted once more */
    SCN_COUNTMAP_FULL,  /* not remembered: the map holds max_keys already */
    SCN_COUNTMAP_NOMEM, /* out of memory */
};

/* Returns 0, or -1 when out of memory. Free with scn_countmap_free (a zeroed
 * map may be freed too). */
int scn_countmap_init(struct scn_countmap *map, size_t max_keys);
void scn_countmap_free(struct scn_countmap *map);

/* Counts one sighting of `key`. */
enum scn_countmap_result scn_countmap_add(struct scn_countmap *map, const char *key);

/* The remembered entries: slots[i].key != NULL, in no particular order. */

#endif
