/*
 * fuzz-json.c - fuzz target for the dedup tool's JSON field extraction
 * (tools/json.h) and its UTF-8 repair.
 *
 * The input is one JSON line. Properties: the parser answers OK, a syntax
 * error or "not an object" (never out of memory on bounded input), with a
 * description on error; extracted strings are well-formed UTF-8 (invalid
 * input is repaired, never passed on); numbers come with their text.
 * cli_utf8_sanitize must give well-formed output, count exactly the
 * ill-formed sequences the library's decoder finds, and leave well-formed
 * input unchanged.
 */
#include <string.h>

#include "fuzz.h"
#include "json.h"
#include "utf8.h"

/* Number of ill-formed sequences in s[0..n). */
static size_t bad_sequences(const unsigned char *s, size_t n)
{
    size_t bad_count = 0;
    for (const unsigned char *p = s, *end = s + n; p < end;) {
        size_t used;
        int bad;
        dedup__utf8_decode(p, end, &used, &bad);
        bad_count += (size_t)bad;
        p += used;
    }
    return bad_count;
}

static cli_json *parser;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* One parser for every input, as the tool keeps one per thread: stale
     * buffers from earlier inputs must not matter. */
    if (!parser)
        parser = cli_json_create();
    FUZZ_CHECK(parser != NULL);

    char *text = malloc(size + CLI_JSON_PADDING);
    FUZZ_CHECK(text != NULL);
    memcpy(text, data, size);
    memset(text + size, 0, CLI_JSON_PADDING);
    cli_json_field f[4] = {{"id", 0, 0, 0, 0}, {"text", 0, 0, 0, 0},
                           {"title", 0, 0, 0, 0}, {"time", 0, 0, 0, 0}};
    size_t replaced = 0;
    const char *what = NULL;
    int rc = cli_json_extract(parser, text, size, f, 4, &replaced, &what);
    FUZZ_CHECK(rc == CLI_JSON_OK || rc == CLI_JSON_ESYNTAX || rc == CLI_JSON_ENOTOBJ);
    if (rc != CLI_JSON_OK) {
        FUZZ_CHECK(what != NULL);
    } else {
        for (int i = 0; i < 4; i++) {
            FUZZ_CHECK(f[i].type >= CLI_JSON_MISSING && f[i].type <= CLI_JSON_OTHER);
            if (f[i].type == CLI_JSON_STRING) {
                FUZZ_CHECK(f[i].value != NULL || f[i].len == 0);
                if (f[i].len)
                    FUZZ_CHECK(bad_sequences((const unsigned char *)f[i].value,
                                             f[i].len) == 0);
            } else if (f[i].type == CLI_JSON_NUMBER) {
                FUZZ_CHECK(f[i].value != NULL && f[i].len > 0);
            }
        }
    }
    free(text);

    char *fixed = malloc(3 * size + 1);
    FUZZ_CHECK(fixed != NULL);
    size_t count = 0;
    size_t n = cli_utf8_sanitize(fixed, (const char *)data, size, &count);
    size_t expect = bad_sequences(data, size);
    FUZZ_CHECK(n <= 3 * size);
    FUZZ_CHECK(count == expect);
    FUZZ_CHECK(bad_sequences((const unsigned char *)fixed, n) == 0);
    if (expect == 0)
        FUZZ_CHECK(n == size && memcmp(fixed, data, size) == 0);
    free(fixed);
    return 0;
}
