/*
 * minhash.c - the MinHash kernel: k values from a set of 64-bit shingle
 * hashes.
 *
 * Algorithm: fast similarity sketching (Dahlgaard, Knudsen and Thorup,
 * 2017). Every element takes part in rounds i = 0, 1, ...; in a round
 * i < k it lands in one pseudo-random bin with value i + r (r in [0, 1)),
 * and in a round k + j it competes for bin j only, which guarantees every
 * bin is filled after 2k rounds. Each bin keeps its minimum value. Since
 * values of round i are at least i, the rounds stop as soon as every bin
 * holds a value: no later round can lower any of them. The result is the
 * exact minimum over the whole (conceptual) 2k-round process, so each bin
 * is a true MinHash of the set: two sets agree in a bin with probability
 * equal to their Jaccard similarity. For n elements this costs about
 * n * (1 + k ln k / n) hash evaluations instead of n * k for k independent
 * permutations.
 *
 * Encoding: value = round << 21 | 21 bits of r; rounds < 2048 since
 * k <= 1024. Two different elements collide in a bin only if they have the
 * same round and the same 21 bits (probability 2^-21 per bin).
 */
#include "signature.h"

#define R_BITS 21

int dedup__minhash(const uint64_t *shingles, size_t n, uint32_t k, uint64_t seed,
                   uint32_t *out, void **scratch, size_t *scratch_cap)
{
    (void)scratch;
    (void)scratch_cap;
    for (uint32_t j = 0; j < k; j++)
        out[j] = UINT32_MAX;
    uint32_t filled = 0;
    for (uint32_t round = 0; round < 2 * k; round++) {
        uint64_t rseed = dedup__mix64(seed ^ (0x9e3779b97f4a7c15ULL * (round + 1)));
        uint32_t base = round << R_BITS;
        for (size_t e = 0; e < n; e++) {
            uint64_t z = dedup__mix64(shingles[e] ^ rseed);
            uint32_t bin;
            if (round < k)
                bin = (uint32_t)(((z >> 32) * (uint64_t)k) >> 32);
            else
                bin = round - k;
            uint32_t v = base | (uint32_t)(z & ((1u << R_BITS) - 1));
            if (out[bin] == UINT32_MAX)
                filled++;
            if (v < out[bin])
                out[bin] = v;
        }
        if (filled == k)
            break;
    }
    return DEDUP_OK;
}
