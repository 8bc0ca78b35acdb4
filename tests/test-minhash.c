/*
 * test-minhash.c - the MinHash kernel: golden values, identical results on
 * every code path, accuracy against theory, and behaviour on tiny sets.
 *
 * Accuracy test (see accuracy()). For each target Jaccard J in {0.1, 0.3,
 * 0.5, 0.7, 0.9} and set size n in {3, 20, 100, 500, 5000} it builds 1000
 * pairs (A, B) with |A| = |B| = n and an exact intersection of c elements,
 * c = 2nJ / (1 + J) rounded down or up at random so that its mean is exact.
 * Each pair's realized Jaccard is j = c / (2n - c); for tiny sets it can
 * only take a few values (n = 3: 0, 0.2, 0.5, 1), hence the randomized
 * rounding and the per-pair comparison. For each pair the error
 * e = estimate - j is recorded. The test requires
 *   |mean(e)| <= 0.01
 *   sd(e) <= 1.25 * sqrt(mean over pairs of j (1 - j) / k),
 * the second being the standard deviation classic MinHash with k
 * independent permutations would have on the same pairs. Elements are
 * random 64-bit values (what the shingle stage produces); a second run uses
 * consecutive integers, the most structured input, to show that the
 * kernel's hashing does not depend on random-looking input. Seeds are
 * fixed, so the test is deterministic. The observed sd is reported: about
 * 0.7 of the classic figure for n <= 100 and close to 1 for n = 5000.
 */
#include <math.h>
#include <stdlib.h>

#include "signature.h"
#include "tap.h"

static uint64_t rng_state;

static uint64_t rng(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double uniform(void)
{
    return (double)(rng() >> 11) * 0x1.0p-53;
}

/* FNV-1a over the values, to pin down a whole signature in a golden test. */
static uint64_t digest(const uint32_t *v, uint32_t k)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (uint32_t i = 0; i < k; i++)
        for (int b = 0; b < 32; b += 8) {
            h ^= (v[i] >> b) & 0xff;
            h *= 0x100000001b3ULL;
        }
    return h;
}

static uint32_t matches(const uint32_t *a, const uint32_t *b, uint32_t k)
{
    return dedup__signature_matches(a, b, k);
}

/* ------------------------------------------------------------- golden */

static void golden(void)
{
    uint32_t out[1024];
    uint64_t set[5000];

    /* One element, k = 16, seed 0: every value in full. */
    static const uint32_t one[16] = {
        0x80f51c7b, 0x80a73b92, 0x81138f0b, 0x807bd0f6, 0x81350212, 0x8012cfc1,
        0x80011b93, 0x816fe55c, 0x7f8d1c29, 0x80cad6e1, 0x80ddc59c, 0x80319083,
        0x81ba26d9, 0x81c4cd33, 0x81d5589c, 0x81ef3b07,
    };
    set[0] = 0x0123456789abcdefULL;
    dedup__minhash(set, 1, 16, 0, out, NULL, NULL);
    int same = 1;
    for (int i = 0; i < 16; i++)
        same &= out[i] == one[i];
    ok(same, "golden: one element, k=16, seed 0");
    if (!same)
        for (int i = 0; i < 16; i++)
            tap_diag("value %d: got 0x%08x, expected 0x%08x", i, out[i], one[i]);

    /* Three elements, k = 16, seed 42. */
    static const uint32_t three[16] = {
        0x80d7119a, 0x80185077, 0x8007f1ba, 0x809a7b0b, 0x80046f4a, 0x80d11470,
        0x801cdc98, 0x80eb0e2d, 0x8078f7a1, 0x8023dd53, 0x800e0c31, 0x4b0574ee,
        0x8052d662, 0x81ca4037, 0x6a9a5208, 0x5e959437,
    };
    set[0] = 1;
    set[1] = 2;
    set[2] = 3;
    dedup__minhash(set, 3, 16, 42, out, NULL, NULL);
    same = 1;
    for (int i = 0; i < 16; i++)
        same &= out[i] == three[i];
    ok(same, "golden: three elements, k=16, seed 42");
    if (!same)
        for (int i = 0; i < 16; i++)
            tap_diag("value %d: got 0x%08x, expected 0x%08x", i, out[i], three[i]);

    /* Larger sets pinned by a digest of all values and their first value:
     * k = 128 and 5000 elements, k = 100 (not a power of two) and 500
     * elements, k = 1024 and 2500 elements (several chunks, several
     * rounds). Elements are i * golden ratio, seed -1. */
    static const struct {
        uint32_t k;
        size_t n;
        uint32_t first;
        uint64_t digest;
    } cases[] = {
        {128, 5000, 0x0493da05, 0x99e33fb2fec224c8ULL},
        {100, 500, 0x008ac7a4, 0x6161a4891fac9bdcULL},
        {1024, 2500, 0x5322eee5, 0x9f515363fc48ef3dULL},
    };
    for (size_t i = 0; i < 5000; i++)
        set[i] = (uint64_t)(i + 1) * 0x9e3779b97f4a7c15ULL;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        dedup__minhash(set, cases[c].n, cases[c].k, UINT64_MAX, out, NULL, NULL);
        uint64_t d = digest(out, cases[c].k);
        ok(out[0] == cases[c].first && d == cases[c].digest, "golden: k=%u n=%zu",
           cases[c].k, cases[c].n);
        if (out[0] != cases[c].first || d != cases[c].digest)
            tap_diag("got first 0x%08x digest 0x%016llx", out[0], (unsigned long long)d);
    }
}

/* -------------------------------------------------- code paths agree */

static void paths_agree(void)
{
    static const size_t sizes[] = {1, 2, 3, 7, 8, 9, 31, 100, 1023, 1024, 1025, 2049, 4000};
    static const uint32_t ks[] = {16, 100, 128, 1000, 1024};
    uint64_t *set = malloc(4000 * sizeof *set);
    uint32_t ref[1024], out[1024];
    rng_state = 99;
    for (size_t i = 0; i < 4000; i++)
        set[i] = rng();
    static const char *const names[] = {"auto", "scalar", "avx2", "avx512"};
    for (int isa = DEDUP__ISA_AUTO; isa <= DEDUP__ISA_AVX512; isa++) {
        if (!dedup__minhash_isa_supported(isa)) {
            tap_diag("%s path not supported here: not compared", names[isa]);
            continue;
        }
        int same = 1;
        for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++)
            for (size_t ki = 0; ki < sizeof ks / sizeof ks[0]; ki++) {
                dedup__minhash_isa(set, sizes[si], ks[ki], sizes[si] * 31 + ks[ki], ref,
                                   DEDUP__ISA_SCALAR);
                dedup__minhash_isa(set, sizes[si], ks[ki], sizes[si] * 31 + ks[ki], out,
                                   isa);
                for (uint32_t j = 0; j < ks[ki]; j++)
                    same &= ref[j] == out[j];
            }
        ok(same, "%s path gives the scalar path's values", names[isa]);
    }
    free(set);
}

/* ---------------------------------------------------- basic properties */

static void properties(void)
{
    uint64_t a[300], b[600];
    uint32_t sa[128], sb[128];
    rng_state = 5;
    for (int i = 0; i < 300; i++)
        a[i] = rng();

    /* Duplicates and order change nothing. */
    for (int i = 0; i < 300; i++) {
        b[2 * i] = a[299 - i];
        b[2 * i + 1] = a[(i * 7) % 300];
    }
    dedup__minhash(a, 300, 128, 3, sa, NULL, NULL);
    dedup__minhash(b, 600, 128, 3, sb, NULL, NULL);
    is_int(matches(sa, sb, 128), 128, "order and duplicates do not change the signature");

    /* Values of a non-empty set are below 0xFFF00000 (never the empty
     * slot); the empty set gives only empty slots. */
    int below = 1;
    for (int i = 0; i < 128; i++)
        below &= sa[i] < 0xfff00000u;
    ok(below, "values stay below 0xFFF00000");
    dedup__minhash(a, 0, 128, 3, sb, NULL, NULL);
    int empty = 1;
    for (int i = 0; i < 128; i++)
        empty &= sb[i] == UINT32_MAX;
    ok(empty, "empty set: every slot UINT32_MAX");

    /* Another seed gives an unrelated signature of the same set. */
    dedup__minhash(a, 300, 128, 4, sb, NULL, NULL);
    ok(matches(sa, sb, 128) <= 3, "seeds 3 and 4 give unrelated signatures (%u matches)",
       matches(sa, sb, 128));
    /* The seed's upper 32 bits count. */
    dedup__minhash(a, 300, 128, 3 + (1ULL << 40), sb, NULL, NULL);
    ok(matches(sa, sb, 128) <= 3, "the seed's high bits change the signature");
}

/* Sets of one to three shingles behave as their sets say: no two
 * different tiny sets collapse onto one signature, and overlaps give the
 * expected estimates. */
static void tiny_sets(void)
{
    enum { K = 128, NSETS = 200 };
    static uint32_t sig[NSETS][K];
    uint64_t elems[NSETS * 3];
    rng_state = 77;
    for (int i = 0; i < NSETS * 3; i++)
        elems[i] = rng();
    /* Disjoint sets of sizes 1, 2, 3. */
    for (int i = 0; i < NSETS; i++)
        dedup__minhash(elems + 3 * i, (size_t)(i % 3) + 1, K, 0, sig[i], NULL, NULL);
    uint32_t worst = 0;
    for (int i = 0; i < NSETS; i++)
        for (int j = i + 1; j < NSETS; j++) {
            uint32_t m = matches(sig[i], sig[j], K);
            worst = m > worst ? m : worst;
        }
    ok(worst <= 2, "disjoint tiny sets share at most 2 of 128 values (worst %u)", worst);

    /* Overlapping tiny sets: estimates near their Jaccard. With k = 128 the
     * sd is at most 0.044; allow 4 sd. */
    static const struct {
        size_t na, nb, common;
        double j;
    } pairs[] = {
        {1, 1, 1, 1.0}, {1, 2, 1, 0.5}, {2, 2, 1, 1.0 / 3}, {1, 3, 1, 1.0 / 3},
        {2, 3, 2, 2.0 / 3}, {3, 3, 2, 0.5}, {3, 3, 1, 0.2},
    };
    for (size_t p = 0; p < sizeof pairs / sizeof pairs[0]; p++) {
        uint64_t a[3], b[3];
        uint32_t sa[K], sb[K];
        for (size_t i = 0; i < 3; i++) {
            a[i] = rng();
            b[i] = i < pairs[p].common ? a[i] : rng();
        }
        dedup__minhash(a, pairs[p].na, K, 0, sa, NULL, NULL);
        dedup__minhash(b, pairs[p].nb, K, 0, sb, NULL, NULL);
        double est = (double)matches(sa, sb, K) / K;
        ok(fabs(est - pairs[p].j) <= 0.18, "sizes %zu/%zu sharing %zu: estimate %.3f, J %.3f",
           pairs[p].na, pairs[p].nb, pairs[p].common, est, pairs[p].j);
    }
}

/* -------------------------------------------------------------- accuracy */

static void accuracy(int structured)
{
    enum { K = 128, PAIRS = 1000 };
    static const double js[] = {0.1, 0.3, 0.5, 0.7, 0.9};
    static const size_t ns[] = {3, 20, 100, 500, 5000};
    uint64_t *a = malloc(5000 * sizeof *a), *b = malloc(5000 * sizeof *b);
    uint32_t sa[K], sb[K];
    rng_state = structured ? 2024 : 1234;
    for (size_t ni = 0; ni < 5; ni++)
        for (size_t ji = 0; ji < 5; ji++) {
            size_t n = ns[ni];
            double target = js[ji], cf = 2.0 * (double)n * target / (1.0 + target);
            double sum = 0, sum2 = 0, var_theory = 0;
            for (int p = 0; p < PAIRS; p++) {
                size_t c = (size_t)cf;
                if (uniform() < cf - (double)c)
                    c++;
                uint64_t base = rng();
                for (size_t i = 0; i < n; i++)
                    a[i] = structured ? base + i : rng();
                for (size_t i = 0; i < n; i++)
                    b[i] = i < c ? a[i] : (structured ? base + n + i : rng());
                double j = (double)c / (double)(2 * n - c);
                uint64_t seed = rng();
                dedup__minhash(a, n, K, seed, sa, NULL, NULL);
                dedup__minhash(b, n, K, seed, sb, NULL, NULL);
                double e = (double)matches(sa, sb, K) / K - j;
                sum += e;
                sum2 += e * e;
                var_theory += j * (1 - j) / K;
            }
            double mean = sum / PAIRS, sd = sqrt(sum2 / PAIRS - mean * mean);
            double sd_theory = sqrt(var_theory / PAIRS);
            ok(fabs(mean) <= 0.01 && sd <= 1.25 * sd_theory,
               "%s n=%zu J=%.1f: mean error %+.4f, sd %.4f = %.2f x classic %.4f",
               structured ? "consecutive" : "random", n, target, mean, sd,
               sd / sd_theory, sd_theory);
        }
    free(a);
    free(b);
}

int main(void)
{
    golden();
    paths_agree();
    properties();
    tiny_sets();
    accuracy(0);
    accuracy(1);
    return tap_done();
}
