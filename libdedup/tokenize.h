/*
 * tokenize.h - tokens and shingles of normalized text. Internal.
 */
#ifndef DEDUP_TOKENIZE_H
#define DEDUP_TOKENIZE_H

#include "common.h"

/* Bytes that are not ASCII letters: the token is hashed by its bytes. */
#define DEDUP__KEY_OTHER ((uint64_t)1 << 63) /* neither letter nor digit */
#define DEDUP__KEY_DIGIT ((uint64_t)1 << 62)

typedef struct dedup_tokenizer {
    uint64_t seed;
    int hangul_chars;          /* Hangul syllables are one token each */
    unsigned char aclass[128]; /* ASCII: 1 = word character */
    uint64_t lbit[256];        /* byte -> letter bit, DEDUP__KEY_DIGIT or _OTHER */
    uint64_t lkey;             /* mixed into the hash of a set of letters */
    size_t text_len;           /* length of the text being tokenized */
    uint64_t *numbers;         /* one hash per run of tokens of ASCII digits */
    size_t nnumbers, numbers_cap;
    size_t number_end;         /* index after the last number token */
    dedup_token *tokens;
    size_t ntokens, tokens_cap;
    size_t nchar_tokens;       /* tokens of one character from a script
                                  written without spaces, or Hangul
                                  syllables when they are tokens */
    size_t nhangul_tokens;     /* of those, Hangul syllables */
    int bytewise;              /* tests: no 64-byte blocks (tokenize.c) */
} dedup_tokenizer;

typedef struct dedup_shingler {
    uint64_t *set;       /* distinct shingles in order of first appearance */
    size_t nset, set_cap;
    uint64_t *table;     /* open-addressing table used to drop repeats;
                          * all zero between calls */
    size_t table_cap;
    uint32_t *pos;       /* pos[i]: the table slot of set[i], to clear it */
} dedup_shingler;

DEDUP_INTERNAL void dedup__tokenizer_init(dedup_tokenizer *tk, uint64_t seed, int casefold,
                                          int hangul_chars);
DEDUP_INTERNAL void dedup__tokenizer_release(dedup_tokenizer *tk);

/* Split normalized (well-formed) UTF-8 text into tokens, hashing each once
 * with XXH3 and the seed. DEDUP_OK or DEDUP_E_NOMEM. */
DEDUP_INTERNAL int dedup__tokenize(dedup_tokenizer *tk, const unsigned char *text, size_t len);

DEDUP_INTERNAL void dedup__shingler_release(dedup_shingler *sh);

/* Members each number of the text adds to its shingle set (shingle.c). */
#define DEDUP__NUMBER_WEIGHT 4

/* The set of shingles of n consecutive token hashes, plus the members of
 * each of the nnumbers number hashes (dedup_tokenizer.numbers; see
 * dedup_hasher_shingles for the rules). DEDUP_OK or DEDUP_E_NOMEM. */
DEDUP_INTERNAL int dedup__shingle(dedup_shingler *sh, const dedup_token *tokens, size_t ntokens,
                                  unsigned n, const uint64_t *numbers, size_t nnumbers);

/* Copy the distinct values of hashes[0..n) into sh->set (order of first
 * appearance). hashes must not point into sh->set. DEDUP_OK or
 * DEDUP_E_NOMEM. */
DEDUP_INTERNAL int dedup__shingle_distinct(dedup_shingler *sh, const uint64_t *hashes, size_t n);

/* Combine the hashes of tokens[0..n) into one shingle hash; order matters. */
DEDUP_INTERNAL uint64_t dedup__shingle_hash(const dedup_token *tokens, size_t n);

#endif
