/*
 * gen-tables.c - build-time generator of the normalizer's and tokenizer's
 * lookup tables for the Basic Multilingual Plane.
 *
 * For each of the four combinations of case folding and mark stripping it
 * classifies every BMP code point from U+0080 as
 *   - stable: normalization maps it to itself in any context;
 *   - mapped: it maps to a fixed non-empty string regardless of context;
 *   - slow:   it interacts with its neighbours (combining marks, composition
 *             partners, characters that vanish) and must go through utf8proc
 *             together with the character before it.
 * A code point is context-free only if it is a starter (canonical combining
 * class 0), is never a non-initial element of any canonical decomposition
 * (so nothing composes with it from the left), and its image is non-empty
 * and starts with such a code point. The rules themselves (utf8proc options
 * and custom mappings) come from normalize_rules.h, shared with the library,
 * so that the tables and the general path cannot disagree; the property
 * tests check it.
 *
 * It also writes the token class of every BMP code point.
 *
 * Usage: gen-tables OUTPUT.h
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "normalize_rules.h"

#define NMODES 4
#define MAX_MAPPED 15

static unsigned char second_like[0x10000];

static void mark_seconds(void)
{
    utf8proc_int32_t buf[32];
    for (utf8proc_int32_t cp = 0; cp <= 0x10FFFF; cp++) {
        if (cp >= 0xD800 && cp <= 0xDFFF)
            continue;
        int last = 0;
        utf8proc_ssize_t n = utf8proc_decompose_char(cp, buf, 32, UTF8PROC_DECOMPOSE, &last);
        if (n < 2)
            continue;
        for (utf8proc_ssize_t i = 1; i < n; i++)
            if (buf[i] < 0x10000)
                second_like[buf[i]] = 1;
    }
    /* U+11A7 is the base of the trailing jamo, not one of them, and no
     * decomposition holds it; but utf8proc's composition (2.8) takes it
     * as a trailing jamo after an LV syllable and drops it, so it does
     * interact with its left neighbour. Found by fuzz-pipeline. */
    second_like[0x11A7] = 1;
}

/* Normalize one code point alone; returns the number of code points. */
static utf8proc_ssize_t map_one(utf8proc_int32_t cp, utf8proc_option_t opt,
                                utf8proc_int32_t *out, utf8proc_ssize_t cap)
{
    unsigned char s[4];
    utf8proc_ssize_t len = utf8proc_encode_char(cp, s);
    utf8proc_ssize_t n = utf8proc_decompose_custom(s, len, out, cap, opt,
                                                   dedup__norm_custom, NULL);
    if (n < 0 || n > cap)
        return -1;
    return utf8proc_normalize_utf32(out, n, opt);
}

static int is_context_free_start(utf8proc_int32_t cp)
{
    if (cp < 0x80)
        return 1;
    if (cp >= 0x10000)
        return 0;
    return utf8proc_get_property(cp)->combining_class == 0 && !second_like[cp];
}

typedef struct {
    uint16_t v[256];
} block16;

static block16 blocks[1024];
static int nblocks;
static unsigned char strpool[1 << 20];
static size_t strlen_total;
static uint32_t entry_off[1 << 16];
static uint8_t entry_len[1 << 16];
static int nentries;

static int add_block(const block16 *b)
{
    for (int i = 0; i < nblocks; i++)
        if (memcmp(&blocks[i], b, sizeof *b) == 0)
            return i;
    blocks[nblocks] = *b;
    return nblocks++;
}

static int add_entry(const unsigned char *s, size_t len)
{
    for (int i = 0; i < nentries; i++)
        if (entry_len[i] == len && memcmp(strpool + entry_off[i], s, len) == 0)
            return i;
    entry_off[nentries] = (uint32_t)strlen_total;
    entry_len[nentries] = (uint8_t)len;
    memcpy(strpool + strlen_total, s, len);
    strlen_total += len;
    return nentries++;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: gen-tables OUTPUT.h\n");
        return 2;
    }
    mark_seconds();
    int stage1[NMODES][256];
    for (int mode = 0; mode < NMODES; mode++) {
        utf8proc_option_t opt = dedup__norm_options(mode & 1, (mode >> 1) & 1);
        for (int hi = 0; hi < 256; hi++) {
            block16 b;
            for (int lo = 0; lo < 256; lo++) {
                utf8proc_int32_t cp = hi << 8 | lo;
                utf8proc_int32_t out[64];
                uint16_t v = 1; /* slow */
                if (cp < 0x80 || (cp >= 0xD800 && cp <= 0xDFFF)) {
                    b.v[lo] = 1;
                    continue;
                }
                utf8proc_ssize_t n = map_one(cp, opt, out, 64);
                if (n > 0 && is_context_free_start(cp) && is_context_free_start(out[0])) {
                    if (n == 1 && out[0] == cp) {
                        v = 0;
                    } else {
                        unsigned char s[64];
                        size_t len = 0;
                        for (utf8proc_ssize_t i = 0; i < n && len <= MAX_MAPPED; i++)
                            len += (size_t)utf8proc_encode_char(out[i], s + len);
                        if (len <= MAX_MAPPED)
                            v = (uint16_t)(2 + add_entry(s, len));
                    }
                }
                b.v[lo] = v;
            }
            stage1[mode][hi] = add_block(&b);
        }
    }
    /* Token classes. */
    int tc_stage1[256];
    static uint8_t tc_blocks[256][256];
    int ntc = 0;
    for (int hi = 0; hi < 256; hi++) {
        uint8_t b[256];
        for (int lo = 0; lo < 256; lo++)
            b[lo] = (uint8_t)dedup__token_class(hi << 8 | lo);
        int found = -1;
        for (int i = 0; i < ntc; i++)
            if (memcmp(tc_blocks[i], b, 256) == 0)
                found = i;
        if (found < 0) {
            memcpy(tc_blocks[ntc], b, 256);
            found = ntc++;
        }
        tc_stage1[hi] = found;
    }

    FILE *f = fopen(argv[1], "w");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    fprintf(f, "/* Generated by gen-tables.c from utf8proc %s: do not edit. */\n",
            utf8proc_version());
    fprintf(f, "#define DEDUP_NT_BLOCKS %d\n#define DEDUP_NT_ENTRIES %d\n", nblocks, nentries);
    fprintf(f, "static const uint16_t dedup_nt_stage1[%d][256] = {\n", NMODES);
    for (int m = 0; m < NMODES; m++) {
        fprintf(f, "{");
        for (int i = 0; i < 256; i++)
            fprintf(f, "%d,%s", stage1[m][i], i % 32 == 31 ? "\n" : "");
        fprintf(f, "},\n");
    }
    fprintf(f, "};\nstatic const uint16_t dedup_nt_blocks[%d][256] = {\n", nblocks);
    for (int i = 0; i < nblocks; i++) {
        fprintf(f, "{");
        for (int j = 0; j < 256; j++)
            fprintf(f, "%u,%s", blocks[i].v[j], j % 32 == 31 ? "\n" : "");
        fprintf(f, "},\n");
    }
    fprintf(f, "};\nstatic const uint32_t dedup_nt_off[%d] = {\n", nentries ? nentries : 1);
    for (int i = 0; i < nentries; i++)
        fprintf(f, "%u,%s", entry_off[i], i % 16 == 15 ? "\n" : "");
    fprintf(f, "%s};\nstatic const uint8_t dedup_nt_len[%d] = {\n", nentries ? "" : "0",
            nentries ? nentries : 1);
    for (int i = 0; i < nentries; i++)
        fprintf(f, "%u,%s", entry_len[i], i % 32 == 31 ? "\n" : "");
    fprintf(f, "%s};\nstatic const unsigned char dedup_nt_str[%zu] = {\n", nentries ? "" : "0",
            strlen_total ? strlen_total : 1);
    for (size_t i = 0; i < strlen_total; i++)
        fprintf(f, "%u,%s", strpool[i], i % 32 == 31 ? "\n" : "");
    fprintf(f, "%s};\n", strlen_total ? "" : "0");
    fprintf(f, "static const uint8_t dedup_tc_stage1[256] = {\n");
    for (int i = 0; i < 256; i++)
        fprintf(f, "%d,%s", tc_stage1[i], i % 32 == 31 ? "\n" : "");
    fprintf(f, "};\nstatic const uint8_t dedup_tc_blocks[%d][256] = {\n", ntc);
    for (int i = 0; i < ntc; i++) {
        fprintf(f, "{");
        for (int j = 0; j < 256; j++)
            fprintf(f, "%u,%s", tc_blocks[i][j], j % 32 == 31 ? "\n" : "");
        fprintf(f, "},\n");
    }
    fprintf(f, "};\n");
    if (fclose(f) != 0) {
        perror(argv[1]);
        return 1;
    }
    return 0;
}
