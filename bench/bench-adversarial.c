/*
 * bench-adversarial.c - speed and memory on hostile input: what the
 * adversarial tests check for correctness, measured.
 *
 * For each kind of degenerate document (generated from a fixed seed, so
 * nothing is read from disk) it prints one line: the input size, the time
 * to sign it with a fresh hasher, the throughput, the bytes the hasher's
 * buffers hold afterwards and their ratio to the input size, and the
 * growth of the process's peak resident set. Then batch clustering of many
 * empty and many identical documents: time, candidate pairs per document
 * and peak memory.
 *
 * Usage: bench-adversarial [--mib N] [--docs N]
 *   --mib N   size of each document (default 64 MiB)
 *   --docs N  documents in each batch (default 1000000)
 * Peak memory is the process's high-water mark, so the kinds run from the
 * one expected to need least to the one expected to need most.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "batch.h"
#include "hasher.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Peak resident set of the process so far, in MiB. */
static double peak_mib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0; /* kilobytes on Linux */
}

static size_t hasher_bytes(const dedup_hasher *h)
{
    return h->nz.out_cap + h->nz.span_cap + h->nz.cps_cap * sizeof(utf8proc_int32_t) +
           h->tk.tokens_cap * sizeof(dedup_token) + h->sh.set_cap * sizeof(uint64_t) +
           h->sh.table_cap * sizeof(uint64_t) + h->mh_scratch_cap + h->kept_cap;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1DULL;
}

enum kind { K_NUL, K_PUNCT, K_INVALID, K_EMOJI, K_MARKS, K_WORDS, K_HAN, K_ONE_LETTER,
            K_EXPAND, NKINDS };

static const char *const kind_names[NKINDS] = {
    "nul-bytes", "punctuation", "invalid-utf8", "emoji", "combining-marks",
    "words-one-line", "han-one-line", "one-letter-words", "nfkc-expanding",
};

static void repeat(char *buf, size_t len, const char *piece)
{
    size_t pl = strlen(piece);
    for (size_t i = 0; i < len; i++)
        buf[i] = piece[i % pl];
}

/* Fill buf with len bytes of the given kind. */
static void generate(char *buf, size_t len, enum kind k)
{
    static const char *const words[] = {"council", "approved", "the", "bus", "plan",
                                        "routes", "fares", "students", "seoul", "tuesday",
                                        "officials", "said", "new", "city", "twelve", "cut"};
    switch (k) {
    case K_NUL:
        memset(buf, 0, len);
        break;
    case K_PUNCT:
        repeat(buf, len, ".,;:!?-()[]{}\"'* \xe2\x80\x94");
        break;
    case K_INVALID:
        for (size_t i = 0; i < len; i++) {
            uint64_t r = rng();
            buf[i] = (char)((r & 7) ? 0x80 | (r >> 8) : r >> 16);
        }
        break;
    case K_EMOJI:
        repeat(buf, len, "\xf0\x9f\x98\x80\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd ");
        break;
    case K_MARKS:
        repeat(buf, len, "\xcc\x81\xcc\xa3\xcc\x88\xcd\x85\xcc\x94\xd6\xb7");
        break;
    case K_WORDS:
    case K_HAN: {
        size_t i = 0;
        while (i < len) {
            char w[8];
            const char *s = w;
            if (k == K_WORDS) {
                s = words[rng() % 16];
            } else { /* a random CJK ideograph, U+4E00 to U+5DFF */
                unsigned cp = 0x4E00 + (unsigned)(rng() % 0x1000);
                w[0] = (char)(0xE0 | (cp >> 12));
                w[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
                w[2] = (char)(0x80 | (cp & 0x3F));
                w[3] = 0;
            }
            size_t wl = strlen(s);
            if (i + wl + 1 > len)
                break;
            memcpy(buf + i, s, wl);
            i += wl;
            if (k == K_WORDS)
                buf[i++] = ' ';
        }
        memset(buf + i, ' ', len - i);
        break;
    }
    case K_ONE_LETTER:
        repeat(buf, len, "a b c d e f g h ");
        break;
    case K_EXPAND:
        repeat(buf, len, "\xef\xb7\xba "); /* U+FDFA: 18 letters and spaces */
        break;
    default:
        break;
    }
}

static void bench_documents(size_t len)
{
    char *buf = malloc(len);
    if (!buf) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    printf("%-18s %8s %9s %9s %12s %7s %10s\n", "document", "MiB", "seconds", "MB/s",
           "hasher-bytes", "ratio", "peak-MiB");
    for (int k = 0; k < NKINDS; k++) {
        generate(buf, len, (enum kind)k);
        dedup_hasher *h = NULL;
        dedup_signature *sig = NULL;
        if (dedup_hasher_create(&h, NULL) != DEDUP_OK ||
            dedup_signature_create(&sig, NULL) != DEDUP_OK) {
            fprintf(stderr, "out of memory\n");
            exit(1);
        }
        double t0 = now();
        int rc = dedup_hasher_sign(h, buf, len, sig);
        double t = now() - t0;
        size_t bytes = hasher_bytes(h);
        printf("%-18s %8.1f %9.3f %9.1f %12zu %7.1f %10.0f%s\n", kind_names[k],
               (double)len / (1 << 20), t, (double)len / t / 1e6, bytes,
               (double)bytes / (double)len, peak_mib(), rc ? "  (failed)" : "");
        fflush(stdout);
        dedup_signature_free(sig);
        dedup_hasher_free(h);
    }
    free(buf);
}

static void bench_batch(size_t n, int identical)
{
    dedup_params *p = NULL;
    dedup_params_create(&p);
    dedup_params_set(p, DEDUP_P_NUM_HASHES, 16);
    dedup_hasher *h = NULL;
    dedup_signature *sig = NULL;
    dedup_batch *b = NULL;
    dedup_hasher_create(&h, p);
    dedup_signature_create(&sig, p);
    static const char story[] = "the council approved a new bus plan on tuesday, adding "
                                "twelve routes and cutting fares for students";
    if (identical)
        dedup_hasher_sign(h, story, sizeof story - 1, sig);
    dedup_batch_create(&b, p);
    if (dedup_batch_resize(b, n) != DEDUP_OK) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    for (size_t i = 0; i < n; i++)
        dedup_batch_set(b, i, sig);
    double t0 = now();
    dedup__edgevec pairs = {0};
    dedup__pair_stats st = {0};
    int rc = dedup__batch_pairs(b, 1, &pairs, &st);
    double tc = now() - t0;
    size_t npairs = (size_t)st.compared;
    dedup__edgevec_release(&pairs);
    t0 = now();
    dedup_clusters *c = NULL;
    rc |= dedup_batch_cluster(&c, b, 1);
    double tall = now() - t0;
    printf("batch %-12s docs %zu  candidates %.3f s  cluster %.3f s  pairs/doc %.2f  "
           "clusters %zu  peak-MiB %.0f%s\n",
           identical ? "identical" : "empty", n, tc, tall, (double)npairs / (double)n,
           dedup_clusters_count(c), peak_mib(), rc ? "  (failed)" : "");
    dedup_clusters_free(c);
    dedup_batch_free(b);
    dedup_signature_free(sig);
    dedup_hasher_free(h);
    dedup_params_free(p);
}

int main(int argc, char **argv)
{
    size_t mib = 64, docs = 1000000;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--mib") == 0)
            mib = strtoul(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--docs") == 0)
            docs = strtoul(argv[i + 1], NULL, 10);
    }
    if (mib == 0 || docs == 0) {
        fprintf(stderr, "usage: bench-adversarial [--mib N] [--docs N]\n");
        return 2;
    }
    printf("# bench-adversarial: one document of %zu MiB per kind, fresh hasher, "
           "default parameters\n", mib);
    bench_documents(mib << 20);
    printf("# batches of %zu documents, k = 16, one thread\n", docs);
    bench_batch(docs, 0);
    bench_batch(docs, 1);
    return 0;
}
