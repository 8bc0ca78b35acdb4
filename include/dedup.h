/*
 * dedup.h - the public API of libdedup, a library that finds near-duplicate
 * news articles and clusters them.
 *
 * The header reads from simple to advanced:
 *   1. versions, status codes and parameters;
 *   2. the one-shot similarity call;
 *   3. the text pipeline (normalize, tokenize, shingle) and signatures, through
 *      a reusable per-thread context, the hasher;
 *   4. the index: add documents one at a time, query, forget, save and load;
 *   5. batch clustering of a whole corpus;
 *   6. experimental calls, behind DEDUP_EXPERIMENTAL.
 *
 * Conventions
 *   - Functions that can fail return an int: DEDUP_OK (0) on success, a
 *     negative dedup_status on failure. A created object comes back
 *     through a pointer argument named out; other results through pointer
 *     arguments named for them. New negative codes may appear in later versions:
 *     treat any unknown negative value as a failure.
 *   - Two codes hold for every such call and are not repeated at each:
 *     DEDUP_E_INVAL when a pointer the call needs is NULL, and DEDUP_E_NOMEM
 *     when memory runs out (the objects involved are then unchanged). Every
 *     other code a call can return is named in its comment; a call whose
 *     comment names none returns only these two.
 *   - Text is UTF-8 given as a pointer and a length; it need not be
 *     NUL-terminated and may contain NUL bytes. Invalid UTF-8 is never an
 *     error: each maximal invalid subsequence is replaced by U+FFFD (see
 *     dedup_hasher_normalize). A call that normalizes text may also return
 *     DEDUP_E_TOOBIG for a text its working buffers cannot address (over
 *     SIZE_MAX / 2 bytes, or a run of about 32 MiB of characters needing
 *     full normalization on a 32-bit machine).
 *   - An object returned through **out belongs to the caller, who releases it
 *     with the matching _free function; every _free accepts NULL. A pointer
 *     returned as a function's value is borrowed from the object it came from.
 *   - No pointer passed in is kept after a call returns, except where a
 *     function says so.
 *
 * Thread safety
 *   There is no global mutable state and no initialisation call. Different
 *   objects may be used from different threads at the same time. Any number of
 *   threads may call functions taking a const pointer on one object while no
 *   thread modifies it (for example: many threads querying a finished index).
 *   Anything else on one object needs the caller's lock. A dedup_hasher holds
 *   scratch buffers: use one per thread.
 *
 * Determinism
 *   The same parameters and seed give bit-identical shingles and signatures on
 *   every platform, compiler and CPU (SIMD or not) within one format version.
 */
#ifndef DEDUP_H
#define DEDUP_H

#include <stddef.h>
#include <stdint.h>

#include "dedup_version.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32) && !defined(DEDUP_STATIC)
#  ifdef DEDUP_BUILDING
#    define DEDUP_API __declspec(dllexport)
#  else
#    define DEDUP_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__) && __GNUC__ >= 4
#  define DEDUP_API __attribute__((visibility("default")))
#else
#  define DEDUP_API
#endif

#if defined(__GNUC__)
#  define DEDUP_DEPRECATED(msg) __attribute__((deprecated(msg)))
#else
#  define DEDUP_DEPRECATED(msg)
#endif

/* ======================================================================
 * 1. Versions, status codes, parameters
 * ====================================================================== */

/* Runtime version of the library, as DEDUP_VERSION_NUMBER and
 * DEDUP_VERSION_STRING give it at compile time (the string is static: never
 * freed). Thread-safe. Since 0.1. */
DEDUP_API unsigned dedup_version_number(void);
DEDUP_API const char *dedup_version_string(void);

/*
 * Status codes. One list produces the enum and dedup_strerror(), so they
 * cannot drift apart. Values never change; new codes are added at the end.
 */
#define DEDUP_STATUS_MAP(X)                                                   \
    X(OK, 0, "success")                                                       \
    X(E_NOMEM, -1, "out of memory")                                           \
    X(E_INVAL, -2, "invalid argument")                                        \
    X(E_UTF8, -3, "invalid UTF-8")                                            \
    X(E_RANGE, -4, "value out of range")                                      \
    X(E_MISMATCH, -5, "objects were built with different parameters")        \
    X(E_FORMAT, -6, "malformed or corrupted data")                            \
    X(E_VERSION, -7, "unsupported format version")                            \
    X(E_TRUNCATED, -8, "data truncated")                                      \
    X(E_CHECKSUM, -9, "checksum mismatch")                                    \
    X(E_IO, -10, "input/output error")                                        \
    X(E_NOTFOUND, -11, "no such document")                                    \
    X(E_EXISTS, -12, "document id already present")                           \
    X(E_TOOBIG, -13, "input too large")
/* -14 (E_STATE in 0.1) was never returned; it stays unused. */

typedef enum dedup_status {
#define DEDUP__STATUS_ENUM(name, value, text) DEDUP_##name = value,
    DEDUP_STATUS_MAP(DEDUP__STATUS_ENUM)
#undef DEDUP__STATUS_ENUM
    DEDUP__STATUS_LAST = -15
} dedup_status;

/* A static, human-readable description of a status code. Never returns NULL:
 * an unknown code gives "unknown error". Thread-safe. Since 0.1. */
DEDUP_API const char *dedup_strerror(int status);

/* A static name for a status code ("DEDUP_E_NOMEM"), never NULL. Since 0.1. */
DEDUP_API const char *dedup_status_name(int status);

/*
 * Parameters are keyed settings in a dedup_params object. Keys have fixed
 * numbers; new ones are added, never renumbered. Integer keys are read and
 * written with dedup_params_set/get, real keys with _set_real/_get_real; using
 * the wrong type returns DEDUP_E_INVAL. dedup_param_bounds gives each key's
 * range. Objects built from params (hashers, signatures, indexes, batches)
 * copy what they need when created: changing params later does not affect
 * them.
 */
/* What each default was measured against: bench/README.md, "Why the
 * parameters' defaults". */
typedef enum dedup_param {
    /* int: number of MinHash values in a signature, k. [16, 1024], 128. */
    DEDUP_P_NUM_HASHES = 1,
    /* int: seed of every hash function; the full 64 bits are used. 0. */
    DEDUP_P_SEED = 2,
    /* int: tokens per shingle for text written with spaces between words
     * (Latin, Cyrillic, Greek...). [1, 16], 4. */
    DEDUP_P_SHINGLE_SIZE = 3,
    /* int: tokens per shingle for text in scripts without spaces (Han,
     * Hiragana, Katakana, Thai...), where each character is a token.
     * [1, 16], 8. A document takes this size when most of its tokens are
     * such characters (Hangul aside, see DEDUP_P_HANGUL_SHINGLE_SIZE). A
     * word of Chinese or Japanese takes about two characters, so 8 spans
     * about the four words of a word shingle; at 5, independent reports of
     * one event matched on their shared names and set phrases. */
    DEDUP_P_CHAR_SHINGLE_SIZE = 4,
    /* int: normalization flags, DEDUP_NORM_* or'ed together.
     * Default DEDUP_NORM_DEFAULT. */
    DEDUP_P_NORMALIZE = 5,
    /* int: similarity measure, a dedup_measure. Default
     * DEDUP_MEASURE_CONTAINMENT. */
    DEDUP_P_MEASURE = 6,
    /* real: similarity threshold in (0, 1]: pairs at or above it are
     * duplicates. Default 0.40: republished wire stories that were updated
     * or edited keep 40-50% of their shingles, independent reports of one
     * event far less once quotations are left out; 0.35 lets pairs of
     * different stories through. */
    DEDUP_P_THRESHOLD = 7,
    /* int: LSH bands. 0 derives bands and rows from the threshold (see
     * dedup_lsh_choose). [0, 1024], 0. bands * rows must not exceed k. */
    DEDUP_P_BANDS = 8,
    /* int: LSH rows per band; 0 derives it. [0, 64], 0. */
    DEDUP_P_ROWS = 9,
    /* int: how clusters form, a dedup_cluster_mode. Default
     * DEDUP_CLUSTER_REPRESENTATIVE. */
    DEDUP_P_CLUSTER_MODE = 10,
    /* int: largest ratio between the shingle-set sizes of two documents that
     * the candidate stage must still catch under the containment measure.
     * [1, 64], 2. */
    DEDUP_P_MAX_SIZE_RATIO = 11,
    /* int: Hangul tokens: 0 = words (runs of Hangul syllables), 1 = one token
     * per syllable, so that Korean takes character shingles. Default 1:
     * Korean attaches particles and endings to words (서울시는, 서울시가),
     * so an edited copy changes many words but few syllables. */
    DEDUP_P_HANGUL_CHARS = 12,
    /* int: 1 leaves lists of links out of the shingles: runs of two or more
     * lines of at most 300 bytes that start with a list bullet ("-", "*",
     * "+", "–" or "—" and a space or tab; "•", "‣", "·", "・", or a
     * geometric shape U+25A0..U+25FF such as "■", "▶", "○") and do not end
     * like a sentence (. , ; : and their full-width forms, 。 、, before
     * any closing quotes and brackets; ? and ! end headlines too), with
     * the line heading the run when it is at most 100 bytes and does not
     * end like a sentence ("Most read", "■関連リンク"). Blank lines, and
     * boilerplate lines when line statistics are set, may separate the
     * items. News pages
     * put such lists of other headlines around the article, different on
     * every page, so they are neither the story nor boilerplate that
     * repeats. A text that is nothing but lists keeps them all. 0 keeps
     * every line. [0, 1], 1. */
    DEDUP_P_LINK_LISTS = 13,
    /* int: which quotations are left out of the shingles: text between an
     * opening quotation mark and its closing mark on the same line, marks
     * included, becomes a space. Pairs: " ", “ ” (or “ “, " closing), „ “,
     * ‟ ”, ″ ″, ＂ ＂, 〝 〞 (or 〟), « », » « and » », 「 」 (and halfwidth
     * ｢ ｣), 『 』. A mark left open at the end of its line opens nothing.
     * Independent reports of one briefing quote the same statement word
     * for word; what a copy shares beyond the quotations is the reporter's
     * own text. A text whose quotations make up more than three quarters
     * of its bytes keeps them: it is a statement, and its copies share it
     * whole.
     * 2 (the default): statements only, a quotation of at least four words
     * (a character of Chinese, Japanese or Korean counting half); a
     * shorter one is a name, a title or a word set apart, which copies
     * quote or not as they like, and stays. A word is a run between spaces
     * holding a letter or digit. Single marks ‘ ’ and ' ' count too, where
     * they can be told from an apostrophe: a single mark opens after
     * anything but a letter or digit and before anything but a space or a
     * digit ('90s), and closes before anything but a letter or digit of an
     * alphabet (a Korean particle may follow, an elided word may not:
     * C’était); double marks take precedence over an open single one.
     * 1: every quotation between the double marks above, however short
     * (indexes saved before 2 existed hold 1 and keep that rule).
     * 0: quotations stay. [0, 2], 2. */
    DEDUP_P_QUOTES = 14,
    /* int: under the containment measure, the least text a short document
     * must share with one at least twice its size for its containment to
     * count, in shingles of text written with spaces; a shingle of text
     * shingled by characters (Chinese, Japanese, Korean) counts half, as a
     * word holds about two such characters. When the estimated shared part
     * is smaller, it is measured against the larger document instead of
     * the smaller. Independent reports of one event carry the same stock
     * sentence or the same sentence of a press release; a one-sentence
     * item made of that sentence lies wholly inside each of them, and
     * containment alone would make it, and through it them, copies. Two
     * short items of about the same size still compare by containment.
     * 30 is about one sentence of a news report. Not part of the signature: a decision taken on top of signatures,
     * like the threshold. [0, 1000000], 30; 0 turns the rule off. */
    DEDUP_P_MIN_SHARED = 15,
    /* int: tokens per shingle for text that takes character shingles and
     * is mostly Hangul (DEDUP_P_HANGUL_CHARS 1). [1, 16], 5. Korean marks
     * case and tense with a syllable at the end of nearly every word, and
     * copies of one story change those endings (a broadcast's 했습니다
     * for a paper's 했다), so its shingles must be shorter than those of
     * Chinese or Japanese to survive an edit. Files written before this
     * key existed read it as DEDUP_P_CHAR_SHINGLE_SIZE. */
    DEDUP_P_HANGUL_SHINGLE_SIZE = 16,
    /* int: extra LSH bands, of two rows each, over the MinHash of the
     * first 64 shingles of a document (its lead values, which signatures
     * made with a non-zero value hold after the k values). A copy cut short
     * keeps the top of the story, so its lead and the full story's agree
     * however much longer the story is, where the whole-text bands need
     * sizes within DEDUP_P_MAX_SIZE_RATIO. Only candidates come from these
     * bands: every pair is still decided by the k values. [0, 32], 8; 0
     * adds none. Files written before this key read it as 0. */
    DEDUP_P_LEAD_BANDS = 17
} dedup_param;

/* Normalization flags for DEDUP_P_NORMALIZE. */
enum {
    /* Unicode case folding. */
    DEDUP_NORM_CASEFOLD = 1 << 0,
    /* Remove diacritics (combining marks after canonical decomposition). */
    DEDUP_NORM_STRIP_MARKS = 1 << 1,
    /* Fold traditional Chinese characters to simplified ones. */
    DEDUP_NORM_HANT_TO_HANS = 1 << 2,
    DEDUP_NORM_DEFAULT = DEDUP_NORM_CASEFOLD | DEDUP_NORM_HANT_TO_HANS,
    DEDUP_NORM_ALL = DEDUP_NORM_CASEFOLD | DEDUP_NORM_STRIP_MARKS |
                     DEDUP_NORM_HANT_TO_HANS
};

typedef enum dedup_measure {
    /* |A and B| / |A or B|. */
    DEDUP_MEASURE_JACCARD = 0,
    /* |A and B| / min(|A|, |B|): a trimmed copy inside a longer page. */
    DEDUP_MEASURE_CONTAINMENT = 1
} dedup_measure;

typedef enum dedup_cluster_mode {
    /* Transitive closure of all duplicate pairs (union-find). */
    DEDUP_CLUSTER_TRANSITIVE = 0,
    /* In input order, a document joins the cluster of the first earlier
     * representative it duplicates, or becomes a representative itself. No
     * chaining through bridges. */
    DEDUP_CLUSTER_REPRESENTATIVE = 1
} dedup_cluster_mode;

typedef enum dedup_param_type {
    DEDUP_PARAM_INVALID = 0,
    DEDUP_PARAM_INT = 1,
    DEDUP_PARAM_REAL = 2
} dedup_param_type;

typedef struct dedup_params dedup_params;

/* Create a params object holding every default. Returns DEDUP_OK or
 * DEDUP_E_NOMEM / DEDUP_E_INVAL (out NULL). Since 0.1. */
DEDUP_API int dedup_params_create(dedup_params **out);
/* Create an independent copy of p. Since 0.1. */
DEDUP_API int dedup_params_copy(dedup_params **out, const dedup_params *p);
/* Release p. Accepts NULL. Since 0.1. */
DEDUP_API void dedup_params_free(dedup_params *p);

/* Set an integer key. DEDUP_E_INVAL for an unknown key or a real key,
 * DEDUP_E_RANGE for a value outside the key's bounds (p is then unchanged).
 * Since 0.1. */
DEDUP_API int dedup_params_set(dedup_params *p, dedup_param key, int64_t value);
/* Read an integer key; DEDUP_E_INVAL for an unknown key or a real key. */
DEDUP_API int dedup_params_get(const dedup_params *p, dedup_param key, int64_t *out);
/* The same for real keys (DEDUP_E_INVAL for an integer key); NaN is out of
 * range. Since 0.1. */
DEDUP_API int dedup_params_set_real(dedup_params *p, dedup_param key, double value);
DEDUP_API int dedup_params_get_real(const dedup_params *p, dedup_param key, double *out);

/* Type of a key, DEDUP_PARAM_INVALID if the key is unknown. Since 0.1. */
DEDUP_API dedup_param_type dedup_param_type_of(dedup_param key);
/* Bounds of an integer key (inclusive); DEDUP_E_INVAL for an unknown or a
 * real key. Since 0.1. */
DEDUP_API int dedup_param_bounds(dedup_param key, int64_t *min, int64_t *max);
/* Bounds of a real key (inclusive); DEDUP_E_INVAL for another key.
 * Since 0.1. */
DEDUP_API int dedup_param_bounds_real(dedup_param key, double *min, double *max);
/* A key's name ("num_hashes", a static string), or NULL for an unknown
 * key; and the key of a name, for command lines and language bindings
 * (DEDUP_E_INVAL for a name that is no key's). Thread-safe. Since 0.1. */
DEDUP_API const char *dedup_param_name(dedup_param key);
DEDUP_API int dedup_param_from_name(const char *name, dedup_param *out);

/* ======================================================================
 * 2. One-shot similarity
 * ====================================================================== */

/* Estimate the similarity of two texts under the measure in p (NULL means
 * defaults), from their signatures, into *out. Allocates and frees its own
 * context: convenient, not fast. Since 0.1. */
DEDUP_API int dedup_similarity(const dedup_params *p, const char *a, size_t alen,
                               const char *b, size_t blen, double *out);

/* ======================================================================
 * 3. Text pipeline and signatures
 * ====================================================================== */

typedef struct dedup_hasher dedup_hasher;
typedef struct dedup_signature dedup_signature;

/* A token of normalized text: a byte range of the normalized buffer and its
 * 64-bit hash with the seed. A token of ASCII letters only is hashed by the
 * set of letters it contains, so that the common typing errors (letters
 * swapped, doubled, a repeated letter dropped) do not change it; any other
 * token is hashed by its bytes (XXH3). */
typedef struct dedup_token {
    size_t offset;
    size_t length;
    uint64_t hash;
} dedup_token;

/* Create a hasher: the per-thread context that turns text into shingles and
 * signatures, holding reusable buffers so that no call allocates per token.
 * It copies p (NULL means defaults). Not thread-safe: one per thread.
 * Since 0.1. */
DEDUP_API int dedup_hasher_create(dedup_hasher **out, const dedup_params *p);
DEDUP_API void dedup_hasher_free(dedup_hasher *h);

/*
 * Normalize text. The result, valid until the next call on h, is borrowed.
 * Rules, in order:
 *   1. Decoding: each maximal subpart of an ill-formed UTF-8 sequence
 *      (truncated sequences, overlong forms, surrogates, code points above
 *      U+10FFFF, stray continuation bytes, bytes 0xC0, 0xC1, 0xF5-0xFF)
 *      becomes one U+FFFD, as the Unicode standard recommends.
 *   2. NFKC with case folding (DEDUP_NORM_CASEFOLD), default-ignorable code
 *      points (zero-width space, soft hyphen, BOM...) removed, control
 *      characters removed, line breaks and tabs turned into spaces.
 *   3. Typographic variants unified: curly and angle quotes to ' and ",
 *      dashes and minus signs to -, every kind of space to U+0020.
 *   4. Optional: diacritics removed (DEDUP_NORM_STRIP_MARKS), traditional
 *      Chinese characters folded to simplified (DEDUP_NORM_HANT_TO_HANS).
 *   5. Runs of spaces collapsed to one, leading and trailing spaces removed.
 * ASCII text takes a fast path that gives byte-identical results.
 * Since 0.1.
 */
DEDUP_API int dedup_hasher_normalize(dedup_hasher *h, const char *text, size_t len,
                                     const char **out, size_t *out_len);

/*
 * Normalize and tokenize text, without the lines that dedup_hasher_shingles
 * leaves out (so the tokens are those the shingles are made of). Letters,
 * marks and digits form tokens;
 * punctuation, symbols and spaces separate them. Characters of Han,
 * Hiragana, Katakana, Thai, Lao, Khmer and Myanmar (and Hangul when
 * DEDUP_P_HANGUL_CHARS is 1) are one token each. *norm receives the
 * normalized text the tokens point into; both arrays are borrowed until the
 * next call on h. Since 0.1.
 */
DEDUP_API int dedup_hasher_tokenize(dedup_hasher *h, const char *text, size_t len,
                                    const char **norm, size_t *norm_len,
                                    const dedup_token **tokens, size_t *ntokens);

/*
 * The set of shingle hashes of text: first, lines are left out (lists of
 * links when DEDUP_P_LINK_LISTS is 1, boilerplate lines when line
 * statistics are set, see dedup_hasher_set_linestats; never all of them);
 * then every n consecutive tokens of the rest, n taken
 * from DEDUP_P_SHINGLE_SIZE or, when most tokens are single characters,
 * DEDUP_P_CHAR_SHINGLE_SIZE. Each hash combines the n token hashes. With
 * word shingles, each number (a run of tokens of ASCII digits, such as
 * "3,772") also adds four members made from its digits, so that figures
 * weigh more than the words around them. The set holds no duplicates and
 * lists shingles in order of first appearance, then the numbers' members.
 * A text with fewer than n tokens gives one shingle of all its tokens; an
 * empty text, or one of punctuation only, gives the empty set. Borrowed until
 * the next call on h. Since 0.1.
 */
DEDUP_API int dedup_hasher_shingles(dedup_hasher *h, const char *text, size_t len,
                                    const uint64_t **out, size_t *n);

/* Number of invalid UTF-8 sequences replaced during the last call on h.
 * Since 0.1. */
DEDUP_API size_t dedup_hasher_replaced(const dedup_hasher *h);

/* Compute the signature of text (of its shingles as dedup_hasher_shingles
 * makes them) into sig, which must have been created with the same
 * parameters as h (DEDUP_E_MISMATCH otherwise). Since 0.1. */
DEDUP_API int dedup_hasher_sign(dedup_hasher *h, const char *text, size_t len,
                                dedup_signature *sig);

/* One field of a document (a title, a body...); text NULL: the field is
 * absent. */
typedef struct dedup_field {
    const char *text;
    size_t len;
} dedup_field;

/* Sign a document given as fields: the present ones joined with a line
 * break between them, as the dedup tool joins the title and text fields of
 * a record, so that headlines are compared too. No field present signs an
 * empty text. Same codes as dedup_hasher_sign. Since 0.2. */
DEDUP_API int dedup_hasher_sign_fields(dedup_hasher *h, const dedup_field *fields, size_t n,
                                       dedup_signature *sig);

/* Compute the signature of a set of shingle hashes (duplicates allowed, they
 * count once). For callers that shingle text themselves. DEDUP_E_MISMATCH
 * as dedup_hasher_sign. Since 0.1. */
DEDUP_API int dedup_hasher_sign_shingles(dedup_hasher *h, const uint64_t *shingles,
                                         size_t n, dedup_signature *sig);

/*
 * Boilerplate lines. Pages of one site share navigation, notices and lists
 * of other headlines; two different stories from one site can share more
 * text that way than two copies of one story on different sites. A
 * dedup_linestats counts, for each distinct line (text between line
 * breaks, surrounding spaces ignored), how many documents contain it, in a
 * count-min sketch of fixed size (counts are never under-estimated). A
 * hasher given line statistics leaves out of its shingles every line of at
 * most 300 bytes found in at least min_docs documents, unless that would
 * leave nothing. Longer lines are always kept: boilerplate lines are short,
 * while the paragraphs of a story republished many times are long and
 * must not be taken for boilerplate.
 */
typedef struct dedup_linestats dedup_linestats;

/* Create empty statistics with about width 16-bit counters (rounded up to
 * a power of two; 0 picks 2^22, 8 MiB). Give about two counters per
 * distinct line expected: a sketch much smaller than that over-counts.
 * DEDUP_E_RANGE for a width over 2^32. Since 0.1. */
DEDUP_API int dedup_linestats_create(dedup_linestats **out, size_t width);
DEDUP_API void dedup_linestats_free(dedup_linestats *ls);
/* Count the distinct lines of one document (each once). Not thread-safe.
 * Since 0.1. */
DEDUP_API int dedup_linestats_add(dedup_linestats *ls, const char *text, size_t len);
/* Estimated number of documents containing line (no line breaks in it);
 * never less than the true count, and 0 for lines over 300 bytes, which
 * are not counted. Counts stop at 65535. Since 0.1. */
DEDUP_API uint32_t dedup_linestats_count(const dedup_linestats *ls, const char *line,
                                         size_t len);
/* Number of documents added. */
DEDUP_API uint64_t dedup_linestats_documents(const dedup_linestats *ls);

/*
 * Site furniture. Line statistics need many pages of a site to see its
 * navigation and notices; a small corpus, or an index when a site first
 * appears, holds two or three. When pages name their site (a host name,
 * or any string the application uses for one; ASCII letters compare
 * without regard to case, as in host names), their lines are also
 * counted per site, and a hasher told the site of the page it signs
 * (dedup_hasher_set_site) also leaves out the short lines (160 bytes at
 * most) counted on 3 pages of that site, or on 2 when the line does not
 * end like a sentence (with . , ; : or their full-width forms, 。 or 、,
 * before closing quotes or brackets): a menu, a headline, a byline, a
 * credit. A story a site runs twice keeps its sentences, and one it runs
 * in several versions keeps its paragraphs. The per-site counts live in
 * the same sketch as the others (give it about twice the width), and so
 * are saved, loaded and merged with it.
 */
/* dedup_linestats_add, and each distinct line counted again under site
 * (site_len 0: as dedup_linestats_add). Not thread-safe. Since 0.2. */
DEDUP_API int dedup_linestats_add_site(dedup_linestats *ls, const char *site,
                                       size_t site_len, const char *text, size_t len);
/* Estimated number of pages of site containing line (0 for an empty site
 * or a line over 300 bytes); never less than the true count. Since 0.2. */
DEDUP_API uint32_t dedup_linestats_count_site(const dedup_linestats *ls, const char *site,
                                              size_t site_len, const char *line,
                                              size_t len);
/* The site of a page from its address, as the dedup tool reads a URL in
 * a record's site field: the host of url[0..len), the part after the
 * first "://" and before the path, query or fragment (or a backslash, as
 * browsers read one there), without user information (up to the last
 * '@'), port, one trailing dot or a leading "www." (in any case), as the
 * span (*site, *site_len) of url; an IPv6 address keeps its brackets. A
 * value without "://" is a name of the application's own and is returned
 * whole. No case folding is done: the functions that take a site compare
 * its ASCII letters without regard to case. An address without a host
 * ("file:///x") gives an empty site, which those functions take for none.
 * DEDUP_E_INVAL for a NULL site or site_len, or a NULL url with len > 0.
 * Thread-safe. Since 0.2. */
DEDUP_API int dedup_site_of(const char *url, size_t len, const char **site, size_t *site_len);
/* Add the counts of src to dst (statistics gathered by several threads or
 * machines); both must have been created with the same width
 * (DEDUP_E_MISMATCH otherwise). Since 0.1. */
DEDUP_API int dedup_linestats_merge(dedup_linestats *dst, const dedup_linestats *src);
/* Serialized form of line statistics, to keep them across restarts or send
 * them to another machine: a little-endian byte layout with magic, format
 * version and an XXH3 checksum, documented in libdedup/linestats.c (40
 * bytes plus 2 per counter: 8 MiB for the default width). The calls work
 * as the signature ones below: _serialized_size is exact, _serialize gives
 * DEDUP_E_RANGE if cap is too small, _deserialize takes exactly one
 * serialized sketch and returns DEDUP_E_FORMAT, DEDUP_E_VERSION,
 * DEDUP_E_TRUNCATED or DEDUP_E_CHECKSUM on bad input, never reading
 * outside buf. Thread-safe on a sketch nobody modifies. Since 0.1. */
DEDUP_API size_t dedup_linestats_serialized_size(const dedup_linestats *ls);
DEDUP_API int dedup_linestats_serialize(const dedup_linestats *ls, void *buf, size_t cap,
                                        size_t *written);
DEDUP_API int dedup_linestats_deserialize(dedup_linestats **out, const void *buf,
                                          size_t len);
/* Use ls (borrowed: it must outlive its use by h, and nobody may modify it
 * while h uses it) to leave out lines found in at least min_docs documents
 * (min_docs >= 2; DEDUP_E_INVAL otherwise). NULL turns filtering off.
 * Since 0.1. */
DEDUP_API int dedup_hasher_set_linestats(dedup_hasher *h, const dedup_linestats *ls,
                                         uint32_t min_docs);
/* The site of the texts h signs from now on (copied as a hash; NULL or
 * len 0: none): with line statistics set, its furniture is left out too
 * (see "Site furniture"). Set it before each page when pages of several
 * sites go through one hasher. DEDUP_E_INVAL for NULL h, or NULL site
 * with len > 0. Since 0.2. */
DEDUP_API int dedup_hasher_set_site(dedup_hasher *h, const char *site, size_t len);

/* Create an empty signature (the signature of an empty document) for the
 * parameters p (NULL: defaults). Since 0.1. */
DEDUP_API int dedup_signature_create(dedup_signature **out, const dedup_params *p);
DEDUP_API int dedup_signature_copy(dedup_signature **out, const dedup_signature *sig);
DEDUP_API void dedup_signature_free(dedup_signature *sig);

/* k, the number of values. */
DEDUP_API size_t dedup_signature_length(const dedup_signature *sig);
/* The k values, borrowed; the lead values of DEDUP_P_LEAD_BANDS, which
 * only propose candidates, follow them. */
DEDUP_API const uint32_t *dedup_signature_values(const dedup_signature *sig);
/* The number of distinct shingles the signature was made from; 0 for an
 * empty document. Empty documents are never similar to anything. */
DEDUP_API uint64_t dedup_signature_set_size(const dedup_signature *sig);

/* Estimated Jaccard similarity and containment (|A and B| / min(|A|,|B|)),
 * in [0, 1]. DEDUP_E_MISMATCH if a and b were made with different
 * parameters. Either set empty gives 0. Thread-safe on const objects.
 * Since 0.1. */
DEDUP_API int dedup_signature_jaccard(const dedup_signature *a, const dedup_signature *b,
                                      double *out);
DEDUP_API int dedup_signature_containment(const dedup_signature *a,
                                          const dedup_signature *b, double *out);
/* The similarity of a and b as the index and batch clustering decide it:
 * under p's DEDUP_P_MEASURE, with DEDUP_P_MIN_SHARED applied (NULL p: the
 * defaults), estimated from the full values (the index and clustering
 * store shortened ones, whose estimates differ by about 0.01). Compare it
 * with p's threshold. DEDUP_E_INVAL for a NULL argument other than p,
 * DEDUP_E_MISMATCH when a and b were made with different parameters.
 * Thread-safe on const objects. Since 0.2. */
DEDUP_API int dedup_signature_similarity(const dedup_params *p, const dedup_signature *a,
                                         const dedup_signature *b, double *out);

/*
 * Serialized form: a fixed little-endian byte layout with magic, format
 * version and an XXH3 checksum, documented in libdedup/signature_io.c
 * (40 + 4k bytes, and 4 more per lead value: 2 per DEDUP_P_LEAD_BANDS).
 * _serialized_size gives the exact number of bytes;
 * _serialize writes them to buf (DEDUP_E_RANGE if cap is too small);
 * _deserialize takes exactly one serialized signature, validates every field
 * and returns DEDUP_E_FORMAT, DEDUP_E_VERSION, DEDUP_E_TRUNCATED or
 * DEDUP_E_CHECKSUM on bad input, never reading outside buf. Since 0.1.
 */
DEDUP_API size_t dedup_signature_serialized_size(const dedup_signature *sig);
DEDUP_API int dedup_signature_serialize(const dedup_signature *sig, void *buf, size_t cap,
                                        size_t *written);
DEDUP_API int dedup_signature_deserialize(dedup_signature **out, const void *buf,
                                          size_t len);

/* Choose LSH bands and rows for a Jaccard threshold t and k values by
 * minimizing fp_weight * (false-positive area) + fn_weight * (false-negative
 * area) under the S-curve 1 - (1 - s^rows)^bands, with bands * rows <= k.
 * Weights 0.5 and 0.5 are the usual choice. k is at most 1024, the largest
 * DEDUP_P_NUM_HASHES, which bounds the work (about a millisecond at 128).
 * Returns DEDUP_OK, DEDUP_E_INVAL for t outside (0, 1], k = 0, negative
 * or zero weights or NULL outputs, DEDUP_E_RANGE for k over 1024.
 * Thread-safe. Since 0.1. */
DEDUP_API int dedup_lsh_choose(double t, unsigned k, double fp_weight, double fn_weight,
                               unsigned *bands, unsigned *rows);

/* The bands and rows that indexes and batches made from p use: the
 * explicit DEDUP_P_BANDS and DEDUP_P_ROWS, or those derived from the
 * threshold as dedup_lsh_choose does (with equal weights), from the
 * Jaccard similarity of a pair at the threshold: the threshold itself
 * under the Jaccard measure, t / (R + 1 - t) under containment with
 * R = DEDUP_P_MAX_SIZE_RATIO. Returns DEDUP_OK, DEDUP_E_INVAL for a NULL
 * argument, or DEDUP_E_RANGE when the explicit bands and rows (or bands
 * with the rows derived from them) take more than DEDUP_P_NUM_HASHES
 * values, which indexes and batches refuse too; *bands and *rows are set
 * either way. The DEDUP_P_LEAD_BANDS lead bands come on top of these
 * (dedup_batch_bands counts both). Since 0.1. */
DEDUP_API int dedup_params_lsh(const dedup_params *p, unsigned *bands, unsigned *rows);

/* ======================================================================
 * 4. The index: one document at a time
 * ====================================================================== */

typedef struct dedup_index dedup_index;

typedef struct dedup_match {
    uint64_t id;       /* the caller's id of a stored document */
    double similarity; /* estimated, under the index's measure */
} dedup_match;

/* Create an empty index for parameters p (NULL: defaults). DEDUP_E_RANGE
 * when explicit bands times rows exceed k (dedup_params_lsh). Since 0.1. */
DEDUP_API int dedup_index_create(dedup_index **out, const dedup_params *p);
DEDUP_API void dedup_index_free(dedup_index *idx);

/* Add a document. id is the caller's; stamp is any ordered value (a time or
 * a sequence number) used by dedup_index_expire. The signature is copied.
 * DEDUP_E_EXISTS if id is present, DEDUP_E_MISMATCH for a signature made
 * with other parameters, DEDUP_E_TOOBIG when the index holds 2^30 - 1
 * documents already. Since 0.1. */
DEDUP_API int dedup_index_add(dedup_index *idx, uint64_t id, int64_t stamp,
                              const dedup_signature *sig);

/* Find the stored documents whose similarity to sig is at or above the
 * threshold, verified against the stored signature: no result below the
 * threshold is ever returned. Up to cap matches are written to out, best
 * first (ties by smaller id); *n receives the total number found, which
 * may exceed cap. Candidates come from the LSH bands (dedup_params_lsh), so
 * a similar document can be missed with the probability the bands allow;
 * and a band links at most 16 stored documents per value, the first stored
 * that hold it, so of more than 16 stored near-identical documents a query
 * finds 16 (store one document per story with dedup_index_add_unique to
 * avoid this). A stored document that a query found is found by the same
 * query for as long as it is stored, whatever is added after it.
 * DEDUP_E_MISMATCH for a signature made with other parameters. Thread-safe
 * on an index nobody modifies. Since 0.1. */
DEDUP_API int dedup_index_query(const dedup_index *idx, const dedup_signature *sig,
                                dedup_match *out, size_t cap, size_t *n);

/* The crawler's call: query, and add the document only if it duplicates
 * nothing stored. *is_dup receives 1 (and *best the best match; the
 * document is not added) or 0 (the document was added). best may be NULL.
 * The codes of dedup_index_add. Since 0.1. */
DEDUP_API int dedup_index_add_unique(dedup_index *idx, uint64_t id, int64_t stamp,
                                     const dedup_signature *sig, int *is_dup,
                                     dedup_match *best);

/* Remove a document; DEDUP_E_NOTFOUND if absent. Since 0.1. */
DEDUP_API int dedup_index_remove(dedup_index *idx, uint64_t id);

/* Remove every document whose stamp is below before; *removed (may be NULL)
 * receives how many. Since 0.1. */
DEDUP_API int dedup_index_expire(dedup_index *idx, int64_t before, size_t *removed);

/* Number of stored documents. */
DEDUP_API size_t dedup_index_count(const dedup_index *idx);
/* 1 if id is stored, else 0. */
DEDUP_API int dedup_index_contains(const dedup_index *idx, uint64_t id);
/* The stamp stored document id was added with, into *stamp. DEDUP_OK,
 * DEDUP_E_NOTFOUND if id is not stored, DEDUP_E_INVAL for NULL idx or
 * stamp. Thread-safe on a const index. Since 0.2. */
DEDUP_API int dedup_index_stamp(const dedup_index *idx, uint64_t id, int64_t *stamp);
/* Bytes of memory the index holds. */
DEDUP_API size_t dedup_index_memory(const dedup_index *idx);
/* The index's parameters, borrowed. */
DEDUP_API const dedup_params *dedup_index_params(const dedup_index *idx);

/* Call fn for every stored document, in the order they were added; a
 * non-zero return from fn stops the walk and is returned. The index must not
 * be modified from fn. Since 0.1. */
typedef int (*dedup_index_visit_fn)(uint64_t id, int64_t stamp, void *payload);
DEDUP_API int dedup_index_foreach(const dedup_index *idx, dedup_index_visit_fn fn,
                                  void *payload);

/*
 * Documents by name and by text (since 0.2). A crawler's documents have
 * keys (URLs, its own ids) rather than numbers, and arrive as text: these
 * calls keep the keys in the index, give each named document an id of its
 * own (the number matches report; dedup_index_name gives the key back),
 * and, with dedup_index_add_text, count line statistics and sign the text
 * exactly as `dedup filter` does. Keys are any bytes, at most 65535; names
 * and line statistics are saved and loaded with the index. A named
 * document is removed and expired like any other, and its key with it.
 * An index saved by the dedup tool has its documents' ids as keys: a
 * string id as it is, a number id as the byte 0x00 followed by its text
 * ("\0" "42"), a string beginning with 0x00 with one more 0x00 in front.
 * Not thread-safe, except where said: these change the index.
 */

/* Add sig under key. The id given to it (a number not yet in the index)
 * goes to *id (may be NULL). DEDUP_E_EXISTS if key is present,
 * DEDUP_E_RANGE for a key over 65535 bytes, DEDUP_E_MISMATCH, NOMEM, and
 * DEDUP_E_TOOBIG when the index cannot grow (at about 2^30 documents). */
DEDUP_API int dedup_index_add_named(dedup_index *idx, const char *key, size_t len,
                                    int64_t stamp, const dedup_signature *sig, uint64_t *id);
/* dedup_index_add_unique by key: *is_dup 1 and *best (may be NULL) the best
 * match, or *is_dup 0 and the document added, its id in *id (may be NULL).
 * DEDUP_E_EXISTS if key is present (a document sent again); else the
 * errors of dedup_index_add_named. */
DEDUP_API int dedup_index_add_unique_named(dedup_index *idx, const char *key, size_t len,
                                           int64_t stamp, const dedup_signature *sig,
                                           int *is_dup, dedup_match *best, uint64_t *id);
/* The id of the stored document named key into *id; DEDUP_E_NOTFOUND.
 * Thread-safe on a const index. */
DEDUP_API int dedup_index_lookup(const dedup_index *idx, const char *key, size_t len,
                                 uint64_t *id);
/* The key of stored document id (not NUL-terminated; its length in *len,
 * which may be NULL), or NULL if it has none. Borrowed: valid until the
 * index changes. Thread-safe on a const index. */
DEDUP_API const char *dedup_index_name(const dedup_index *idx, uint64_t id, size_t *len);
/* Remove the document named key; DEDUP_E_NOTFOUND if absent. */
DEDUP_API int dedup_index_remove_named(dedup_index *idx, const char *key, size_t len);

/* Keep line statistics in the index: dedup_index_add_text counts each
 * document's lines and leaves out of its shingles the lines found in
 * min_docs or more documents so far (site furniture; the tool's default is
 * DEDUP_BOILERPLATE_DEFAULT). 0 stops leaving them out (the counts are
 * kept). DEDUP_E_INVAL for min_docs 1. */
#define DEDUP_BOILERPLATE_DEFAULT 20
DEDUP_API int dedup_index_set_boilerplate(dedup_index *idx, uint32_t min_docs);
/* The threshold set, 0 if none. Thread-safe on a const index. */
DEDUP_API uint32_t dedup_index_boilerplate(const dedup_index *idx);
/* The index's line statistics when boilerplate is on, else NULL.
 * Borrowed: changed by dedup_index_add_text, freed by the index and by
 * dedup_index_adopt_linestats. Thread-safe on a const index. */
DEDUP_API const dedup_linestats *dedup_index_linestats(const dedup_index *idx);
/* A hasher that signs as the index does: its parameters and, when
 * boilerplate is on, its line statistics, borrowed (do not use the hasher
 * while the index is being changed, after it is freed, or after
 * dedup_index_adopt_linestats replaced them); give it each page's site
 * with dedup_hasher_set_site. The caller frees it. Thread-safe on a const
 * index: one hasher per thread, to query by text from several threads
 * (dedup_hasher_sign_fields, then dedup_index_query). */
DEDUP_API int dedup_index_hasher(const dedup_index *idx, dedup_hasher **out);
/* The crawler's call by text: count the document's lines (when
 * boilerplate is on), sign its fields (dedup_hasher_sign_fields) as the
 * index does, and add it under key unless it duplicates a stored document,
 * as dedup_index_add_unique_named, with its errors. The same documents in
 * the same order give the same answers as `dedup filter -j1 --index`. The
 * lines are counted first: a failure after that (DEDUP_E_NOMEM,
 * DEDUP_E_TOOBIG) leaves them counted, the document not added. */
DEDUP_API int dedup_index_add_text(dedup_index *idx, const char *key, size_t len,
                                   int64_t stamp, const dedup_field *fields, size_t n,
                                   int *is_dup, dedup_match *best, uint64_t *id);

/* dedup_index_add_text for a page of site (a host name, or any string the
 * application names a site by; site_len 0: none): its lines are also
 * counted under the site, and the site's furniture is left out when it is
 * signed (see "Site furniture"), once boilerplate is on. The counts are
 * saved and loaded with the index. DEDUP_E_INVAL for NULL site with
 * site_len > 0, else as dedup_index_add_text. Since 0.2. */
DEDUP_API int dedup_index_add_text_site(dedup_index *idx, const char *site, size_t site_len,
                                        const char *key, size_t len, int64_t stamp,
                                        const dedup_field *fields, size_t n, int *is_dup,
                                        dedup_match *best, uint64_t *id);

/* Save atomically: the file is written to a temporary file in the same
 * folder, flushed to disk and renamed over path, so a crash or a full disk
 * leaves the previous file intact. DEDUP_E_IO on failure. Since 0.1. */
DEDUP_API int dedup_index_save(const dedup_index *idx, const char *path);

/* Load an index saved by dedup_index_save. A truncated, corrupted or
 * incompatible file gives DEDUP_E_TRUNCATED, DEDUP_E_FORMAT,
 * DEDUP_E_CHECKSUM or DEDUP_E_VERSION; a missing or unreadable one
 * DEDUP_E_IO; one whose tables do not fit this machine's address space (a
 * 32-bit one) DEDUP_E_TOOBIG. Since 0.1. */
DEDUP_API int dedup_index_load(dedup_index **out, const char *path);

/* The index as bytes in memory, to keep it where a crawler keeps its state
 * (a database, an object store): the same bytes dedup_index_save writes.
 * _serialized_size is exact (0 for NULL); _serialize gives DEDUP_E_RANGE if
 * cap is too small; _deserialize takes exactly one serialized index and
 * returns what dedup_index_load returns for such a file, never reading
 * outside buf. Serializing is thread-safe on an index nobody modifies.
 * Since 0.2. */
DEDUP_API size_t dedup_index_serialized_size(const dedup_index *idx);
DEDUP_API int dedup_index_serialize(const dedup_index *idx, void *buf, size_t cap,
                                    size_t *written);
DEDUP_API int dedup_index_deserialize(dedup_index **out, const void *buf, size_t len);

/* ======================================================================
 * 5. Batch clustering
 * ====================================================================== */

typedef struct dedup_batch dedup_batch;
typedef struct dedup_clusters dedup_clusters;

/* Create a batch of signatures for parameters p (NULL: defaults).
 * DEDUP_E_RANGE as dedup_index_create. Since 0.1. */
DEDUP_API int dedup_batch_create(dedup_batch **out, const dedup_params *p);
DEDUP_API void dedup_batch_free(dedup_batch *b);

/* Append a signature (copied); *index (may be NULL) receives its position.
 * DEDUP_E_MISMATCH for a signature made with other parameters,
 * DEDUP_E_TOOBIG past 2^32 - 1 documents. Not thread-safe. Since 0.1. */
DEDUP_API int dedup_batch_add(dedup_batch *b, const dedup_signature *sig, size_t *index);
/* Grow or shrink to n documents; new ones are empty. DEDUP_E_TOOBIG past
 * 2^32 - 1 documents. Since 0.1. */
DEDUP_API int dedup_batch_resize(dedup_batch *b, size_t n);
/* Store a copy of sig at position i < count (DEDUP_E_RANGE otherwise;
 * DEDUP_E_MISMATCH for a signature made with other parameters). Threads may
 * call this at once for distinct positions, while nothing resizes b or
 * adds to it. Since 0.1. */
DEDUP_API int dedup_batch_set(dedup_batch *b, size_t i, const dedup_signature *sig);
DEDUP_API size_t dedup_batch_count(const dedup_batch *b);

/* Cluster every document of b with up to nthreads threads (0: one) into a
 * new result *out (free it with dedup_clusters_free). The result does not
 * depend on nthreads. DEDUP_OK, DEDUP_E_INVAL (out or b NULL),
 * DEDUP_E_NOMEM. b is only read: threads may cluster one batch at once.
 * The result comes first, as in every call that creates an object (since
 * 0.2; 0.1 took it last). Since 0.1. */
DEDUP_API int dedup_batch_cluster(dedup_clusters **out, const dedup_batch *b,
                                  unsigned nthreads);

DEDUP_API void dedup_clusters_free(dedup_clusters *c);
/* Candidate pairs the banding stage found, and (through *verified, may be
 * NULL) how many of them reached the threshold: what the run cost, for
 * choosing bands and rows. Since 0.1. */
DEDUP_API size_t dedup_clusters_candidates(const dedup_clusters *c, size_t *verified);
/* Number of documents and of clusters (singletons included). */
DEDUP_API size_t dedup_clusters_doc_count(const dedup_clusters *c);
DEDUP_API size_t dedup_clusters_count(const dedup_clusters *c);
/* The cluster of document i: the position of the first document of its
 * cluster in input order (i itself for a representative); SIZE_MAX for a
 * NULL c or i out of range. */
DEDUP_API size_t dedup_clusters_of(const dedup_clusters *c, size_t i);
/* Estimated similarity of document i to the document it was matched with
 * (1 for a cluster's first document); 0 for a NULL c or i out of range. */
DEDUP_API double dedup_clusters_similarity(const dedup_clusters *c, size_t i);
/* Size of the cluster that document i belongs to; 0 for a NULL c or i out
 * of range. */
DEDUP_API size_t dedup_clusters_size_of(const dedup_clusters *c, size_t i);
/* The documents of the cluster that document i belongs to, in input order
 * (the first is the cluster's first document): out[j] receives the j-th
 * for j below cap, *n how many there are (the cluster's size; call again
 * with a larger array if it exceeds cap). Returns DEDUP_OK, or
 * DEDUP_E_INVAL for NULL c or n, i out of range, or NULL out with cap.
 * Thread-safe on a const object. Since 0.2. */
DEDUP_API int dedup_clusters_members(const dedup_clusters *c, size_t i, size_t *out, size_t cap,
                                     size_t *n);

/* ======================================================================
 * 6. Experimental
 * ======================================================================
 *
 * Calls that may still change in any release, before and after 1.0: what
 * explains a result, the parts line statistics are made of, a tag to bind
 * files to a saved index, an application's own bytes saved in it, and
 * names and ids of documents given after the fact. Define DEDUP_EXPERIMENTAL before including
 * this header to use them, knowing that a later version may change them
 * (their symbols are exported either way).
 */
#ifdef DEDUP_EXPERIMENTAL

/* A byte range of a text. */
typedef struct dedup_span {
    size_t offset;
    size_t length;
} dedup_span;

/* The quotations of text (len bytes) that DEDUP_P_QUOTES leaves out of the
 * shingles by default (rule 2: statements), in order: spans[i] receives the i-th, marks included, for i
 * below cap; *n receives how many there are (call again with a larger
 * array if *n > cap). The rule that keeps the quotations of a text that is
 * mostly quotation is the caller's to apply. Returns DEDUP_OK, or
 * DEDUP_E_INVAL for NULL n, or NULL text or spans with a length or cap.
 * Thread-safe. Since 0.2. */
DEDUP_API int dedup_find_quotations(const char *text, size_t len, dedup_span *spans, size_t cap,
                                    size_t *n);

/* What the last dedup_hasher_tokenize, dedup_hasher_shingles or
 * dedup_hasher_sign call on h compared, for explaining a result: *text and
 * *len receive the text its shingles came from, before normalization: the
 * input without the lines left out (lists of links, boilerplate) and with
 * each quotation made one space. It points into the caller's text when
 * nothing was left out, else into h; borrowed, valid until the next call on
 * h (and while the caller's text lives). *shingle_size (may be NULL)
 * receives the shingle size used: DEDUP_P_SHINGLE_SIZE, or
 * DEDUP_P_CHAR_SHINGLE_SIZE for text mostly in scripts written without
 * spaces. Before any such call: an empty text. Returns DEDUP_OK, or
 * DEDUP_E_INVAL for a NULL argument other than shingle_size. Not
 * thread-safe: h is the caller's. Since 0.2. */
DEDUP_API int dedup_hasher_compared(const dedup_hasher *h, const char **text, size_t *len,
                                    unsigned *shingle_size);

/* The distinct line hashes of one document, as dedup_linestats_add counts
 * them (ascending, none 0), to keep or send a document's contribution and
 * count it later with dedup_linestats_add_hashes: adding the hashes of a
 * text counts exactly what adding the text does. *n receives how many there
 * are; DEDUP_E_RANGE when that is more than cap (nothing written: call
 * again with room for *n). Hashes are the same on every platform. Thread-
 * safe. Since 0.2. */
DEDUP_API int dedup_linestats_hashes(const char *text, size_t len, uint64_t *out, size_t cap,
                                     size_t *n);
/* Count one document given by its line hashes (from dedup_linestats_hashes;
 * repeats count once, 0 is ignored). Not thread-safe. Since 0.2. */
DEDUP_API int dedup_linestats_add_hashes(dedup_linestats *ls, const uint64_t *hashes,
                                         size_t n);
/* The keys under which the lines hashes[0..n) (dedup_linestats_hashes) of
 * a page of site are counted (see dedup_linestats_add_site), into
 * out[0..n) (out may be hashes; 0 stays 0; an empty site gives all 0).
 * Counting a page's hashes and their keys together, in one call of
 * dedup_linestats_add_hashes, counts what dedup_linestats_add_site does.
 * Thread-safe. Since 0.2. */
DEDUP_API int dedup_linestats_site_keys(const char *site, size_t site_len,
                                        const uint64_t *hashes, size_t n, uint64_t *out);

/* The application's tag: a 64-bit value saved and loaded with the index, 0
 * in a new one. An application keeping files beside the index (names,
 * a journal of later changes) writes the same fresh tag into them and the
 * index at each save, and at load refuses side files whose tag differs: they
 * belong to another index or another save of it. Setting it is a change of
 * the index (not thread-safe with other calls on idx); reading it is
 * thread-safe on a const index. NULL idx: ignored, 0. Since 0.2. */
DEDUP_API void dedup_index_set_tag(dedup_index *idx, uint64_t tag);
DEDUP_API uint64_t dedup_index_tag(const dedup_index *idx);

/* Bits of each MinHash value the index keeps to verify candidates: 8, or 4
 * in an index loaded from a file of an earlier format (version 7), which
 * keeps them and estimates similarities about four times less precisely
 * (building such an index again gives 8). Thread-safe on a const index.
 * NULL idx: 0. Since 0.2. */
DEDUP_API unsigned dedup_index_value_bits(const dedup_index *idx);

/* The application's bytes: any data an application wants saved and loaded
 * with the index (its own settings and counters, so that it needs no file
 * beside the index), written by dedup_index_save and
 * dedup_index_serialize as a section that a library without this call
 * skips, with its own checksum. dedup_index_set_appdata copies len bytes
 * of data (NULL with len 0 removes them); DEDUP_E_INVAL for NULL idx, or
 * NULL data with a length. dedup_index_appdata returns them, borrowed and
 * valid until the next set or the index is freed, their length in *len
 * (may be NULL); NULL and 0 when there are none. A new index has none.
 * Setting is a change of the index; reading is thread-safe on a const
 * index. Since 0.2. */
DEDUP_API int dedup_index_set_appdata(dedup_index *idx, const void *data, size_t len);
DEDUP_API const void *dedup_index_appdata(const dedup_index *idx, size_t *len);

/* Give the stored document id the key key (len bytes), replacing the key
 * it had: for an application bringing names it kept elsewhere into the
 * index. DEDUP_E_NOTFOUND if id is not stored, DEDUP_E_EXISTS if key is
 * another document's, DEDUP_E_RANGE for a key over 65535 bytes; nothing
 * changes then. Not thread-safe. Since 0.2. */
DEDUP_API int dedup_index_set_name(dedup_index *idx, uint64_t id, const char *key, size_t len);

/* The id dedup_index_add_named and the other named adds give the next
 * named document, ids of stored documents skipped: one past the last one
 * named, 1 in a new index (and for NULL). Saved with the index, also once
 * every named document is gone, so that a loaded index goes on with the
 * same ids. dedup_index_set_next_named sets it, for an application that
 * numbered its documents before (0 is DEDUP_E_INVAL); not thread-safe.
 * Since 0.2. */
DEDUP_API uint64_t dedup_index_next_named(const dedup_index *idx);
DEDUP_API int dedup_index_set_next_named(dedup_index *idx, uint64_t next);

/* What the comparison made of a text, to explain a result (dedup explain,
 * dedup cluster --explain): dedup_analyse runs the pipeline of h (its
 * parameters and line statistics) on text, which it copies. The caller
 * frees the result. DEDUP_OK or the codes of dedup_hasher_tokenize. Not
 * thread-safe: h is the caller's; the accessors are thread-safe on a
 * finished analysis. Since 0.2. */
typedef struct dedup_analysis dedup_analysis;
DEDUP_API int dedup_analyse(dedup_analysis **out, dedup_hasher *h, const char *text,
                            size_t len);
DEDUP_API void dedup_analysis_free(dedup_analysis *a);
/* Its tokens and shingles (the size of its shingle set). */
DEDUP_API size_t dedup_analysis_tokens(const dedup_analysis *a);
DEDUP_API size_t dedup_analysis_shingles(const dedup_analysis *a);
/* The normalized text it compared (borrowed; *len its length). */
DEDUP_API const char *dedup_analysis_normalized(const dedup_analysis *a, size_t *len);
/* Shingles both a and b hold (made with the same parameters). */
DEDUP_API size_t dedup_analysis_shared_shingles(const dedup_analysis *a,
                                                const dedup_analysis *b);

/* A passage of a: a maximal run of its tokens each covered by an n-gram of
 * tokens (n a's shingle size) that b also contains, as a byte range of a's
 * normalized text and a number of tokens. */
typedef struct dedup_passage {
    size_t offset, length, tokens;
} dedup_passage;
/* The passages of a that b shares, longest first (then in text order): up
 * to cap written to out, their number to *n; *shared_tokens (may be NULL)
 * receives how many of a's tokens they cover. */
DEDUP_API int dedup_analysis_passages(const dedup_analysis *a, const dedup_analysis *b,
                                      dedup_passage *out, size_t cap, size_t *n,
                                      size_t *shared_tokens);

/* What the comparison left out of a text, in text order, as byte ranges
 * of the text given to dedup_analyse: whole lines (lists of links,
 * boilerplate lines) and quotations of lines kept. Up to cap written to
 * out, their number to *n. */
enum { DEDUP_LEFT_LINE = 1, DEDUP_LEFT_QUOTATION = 2 };
typedef struct dedup_left {
    int kind; /* DEDUP_LEFT_* */
    size_t offset, length;
} dedup_left;
DEDUP_API int dedup_analysis_left_out(const dedup_analysis *a, dedup_left *out, size_t cap,
                                      size_t *n);

/* Give idx line statistics of your own (of another width than the 8 MiB
 * dedup_index_set_boilerplate creates, or counted elsewhere): idx takes ls
 * and frees it; the statistics it held are freed, so hashers from
 * dedup_index_hasher and what dedup_index_linestats gave before must not
 * be used again (get them anew). Takes effect for dedup_index_add_text
 * once boilerplate is on. DEDUP_E_INVAL for NULL (ls is then not taken:
 * the caller still frees it). */
DEDUP_API int dedup_index_adopt_linestats(dedup_index *idx, dedup_linestats *ls);

/*
 * Stages of batch clustering, for engines that spread it over machines
 * (Open MPI, Dask...). dedup_batch_cluster on one machine equals, document
 * for document, these steps run anywhere in any split:
 *
 *   1. Records. Each worker signs its share of the corpus into a batch and
 *      exports each document as a document record numbered by its place in
 *      the whole corpus (dedup_batch_record), and the record's band records
 *      (dedup_batch_band_records; none for an empty document).
 *   2. Partition. Each band record goes to partition
 *      dedup_band_partition(r, P): every record of one band value meets in
 *      one partition, whatever machine made it.
 *   3. Pairs. Per partition, dedup_batch_stage_pairs takes its band
 *      records and the document records they name (sent with them, or
 *      fetched) and gives the verified pairs; with every partition's
 *      dedup_batch_stage_unsure records (a few, gathered everywhere) it
 *      compares each pair once, in the first band that proposes it.
 *      The union of all partitions' pairs, duplicates dropped (the same
 *      pair may meet in several bands), is the verified pairs of the
 *      whole corpus.
 *   4. Components. dedup_components turns pairs into links from each
 *      document to the smallest document of its component; links of
 *      several parts, given to it again together, merge (a tree reduction).
 *   5. Assignment. Per group of whole components (edges and document
 *      records grouped by root), dedup_batch_stage_assign applies the
 *      cluster mode: its result for a document equals dedup_clusters_of and
 *      dedup_clusters_similarity. Documents in no pair are clusters of their
 *      own, similarity 1.
 *
 * Every record is flat: fixed-size, no pointers, in the host's byte order
 * (little-endian on every platform the library supports), so engines ship
 * arrays of them as bytes. All workers must use equal parameters and the
 * same library version. The partition function is fixed: it never changes
 * between versions or machines. Arrays returned in *out are allocated by
 * the library: release them with dedup_free. Every call is thread-safe on
 * a const batch. Since 0.2.
 */
typedef struct dedup_band_record {
    uint32_t band; /* the band, below the batch's number of bands */
    uint32_t key;  /* the band value (the top 32 bits of its hash) */
    uint64_t doc;  /* the document's number in the corpus */
} dedup_band_record;
typedef struct dedup_edge {
    uint64_t a, b; /* documents, a < b */
    double sim;    /* their similarity, at or above the threshold */
} dedup_edge;
typedef struct dedup_link {
    uint64_t doc, root; /* root: the smallest document of doc's component */
} dedup_link;
typedef struct dedup_assignment {
    uint64_t doc, cluster; /* cluster: as dedup_clusters_of, a number */
    double sim;            /* as dedup_clusters_similarity */
} dedup_assignment;

/* Release an array a stage call returned; NULL is ignored. */
DEDUP_API void dedup_free(void *p);
/* Bytes of one document record of b: the document's number (uint64_t),
 * then what verification reads (set size, band keys, stored values). */
DEDUP_API size_t dedup_batch_record_size(const dedup_batch *b);
/* Write the record of b's document i, numbered doc, to out
 * (dedup_batch_record_size bytes). DEDUP_E_RANGE for i past the count. */
DEDUP_API int dedup_batch_record(const dedup_batch *b, size_t i, uint64_t doc, void *out);
/* The number of bands of b: those of dedup_params_lsh, then
 * DEDUP_P_LEAD_BANDS lead bands; 0 for NULL. */
DEDUP_API unsigned dedup_batch_bands(const dedup_batch *b);
/* The band records of a document record into out (room for
 * dedup_batch_bands records); returns how many (0 for an empty document or
 * a NULL argument). */
DEDUP_API size_t dedup_batch_band_records(const dedup_batch *b, const void *record,
                                          dedup_band_record *out);
/* The partition, below nparts (> 0; 0 gives 0), of band record r. */
DEDUP_API uint32_t dedup_band_partition(const dedup_band_record *r, uint32_t nparts);
/* The band records among n (holding every record of each band value they
 * contain) of documents that their band value's run does not pair with
 * every later member: in a run longer than the pair stage pairs in full,
 * the members after its first few. Most corpora have few or none.
 * DEDUP_E_RANGE for a record of a band out of range. */
DEDUP_API int dedup_batch_stage_unsure(const dedup_batch *b, const dedup_band_record *recs,
                                       size_t n, dedup_band_record **out, size_t *nout);
/* The verified pairs that n band records propose, holding every record
 * of each band value they contain, with the ndocs document records
 * (record_size bytes back to back, any order; a document may repeat)
 * of the documents they name: *out (sorted by a, then b, no pair twice)
 * and their number *nout. unsure (may be NULL) is every partition's
 * dedup_batch_stage_unsure records put together: with them, a pair an
 * earlier band surely proposes is left to that band, as on one machine,
 * and not compared again; without them, every proposed pair is compared
 * here. The result is the same either way. DEDUP_E_NOTFOUND if a band
 * record names a document without a record, DEDUP_E_RANGE for a band out
 * of range, DEDUP_E_TOOBIG past 2^32 - 1 documents in one call. */
DEDUP_API int dedup_batch_stage_pairs(const dedup_batch *b, const dedup_band_record *recs,
                                      size_t n, const void *records, size_t ndocs,
                                      const dedup_band_record *unsure, size_t nunsure,
                                      dedup_edge **out, size_t *nout);
/* The components n links (pairs of documents in one component: edges'
 * ends, or links from earlier calls) form: every document they name once,
 * with the smallest document of its component, sorted by doc. The result
 * depends only on the set of links, never on their order or grouping.
 * DEDUP_E_TOOBIG past 2^32 - 1 distinct documents in one call. */
DEDUP_API int dedup_components(const dedup_link *links, size_t n, dedup_link **out,
                               size_t *nout);
/* The position of the first of n links sorted by doc (as
 * dedup_components returns them) whose doc is at least doc; n when there
 * is none. A document without a link there is its own component. */
DEDUP_API size_t dedup_links_find(const dedup_link *links, size_t n, uint64_t doc);
/* The clusters of the documents of nedges edges that hold whole
 * components, under b's cluster mode: one assignment per document they
 * name, sorted by doc. Representative mode compares documents, so
 * records (ndocs document records, as above) must hold every document
 * named (DEDUP_E_NOTFOUND otherwise); transitive mode reads none (records
 * may be NULL). DEDUP_E_TOOBIG past 2^32 - 1 distinct documents in one
 * call. */
DEDUP_API int dedup_batch_stage_assign(const dedup_batch *b, const void *records,
                                       size_t ndocs, const dedup_edge *edges, size_t nedges,
                                       dedup_assignment **out, size_t *nout);

#endif /* DEDUP_EXPERIMENTAL */

#ifdef __cplusplus
}
#endif

#endif /* DEDUP_H */
