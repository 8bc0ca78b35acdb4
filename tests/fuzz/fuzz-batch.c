/*
 * fuzz-batch.c - fuzz target for batch clustering, checked against a
 * brute-force model.
 *
 * Input layout: byte 0 picks the measure (bit 0), the cluster mode (bit 1)
 * and explicit or derived LSH settings (bit 2); byte 1 the threshold
 * (1..256 / 256). Then documents, each a length byte L (0..15 shingles,
 * low four bits) followed by L shingle bytes; shingles come from an
 * alphabet of 256 values, so documents overlap often and identical
 * documents are common. At most MAX_DOCS documents.
 *
 * With at most MAX_DOCS documents every run of equal band keys is shorter
 * than DEDUP__RUN_FULL, so the candidate stage pairs every two documents
 * that agree on a band. The model computes those pairs directly with the
 * batch's own band test and similarity estimate (it keeps compact values),
 * verifies them against the threshold, and builds clusters by the rules
 * (transitive: smallest position of the connected component;
 * representative: the first earlier representative that is a verified
 * partner, or the representative of a verified partner that the document
 * duplicates as well). The
 * library must agree exactly, with one thread and with three.
 */
#include <string.h>

#include "batch.h"
#include "fuzz.h"
#include "lsh.h"

#define MAX_DOCS 24

static int find(int *parent, int x)
{
    while (parent[x] != x)
        x = parent[x] = parent[parent[x]];
    return x;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    dedup_measure measure = (data[0] & 1) ? DEDUP_MEASURE_JACCARD : DEDUP_MEASURE_CONTAINMENT;
    dedup_cluster_mode mode =
        (data[0] & 2) ? DEDUP_CLUSTER_TRANSITIVE : DEDUP_CLUSTER_REPRESENTATIVE;
    double threshold = (data[1] + 1) / 256.0;
    dedup_params *p = NULL;
    FUZZ_OK(dedup_params_create(&p));
    FUZZ_OK(dedup_params_set(p, DEDUP_P_NUM_HASHES, 16));
    FUZZ_OK(dedup_params_set(p, DEDUP_P_MEASURE, measure));
    FUZZ_OK(dedup_params_set(p, DEDUP_P_CLUSTER_MODE, mode));
    FUZZ_OK(dedup_params_set_real(p, DEDUP_P_THRESHOLD, threshold));
    if (data[0] & 4) {
        FUZZ_OK(dedup_params_set(p, DEDUP_P_BANDS, 1 + (data[0] >> 5) % 8));
        FUZZ_OK(dedup_params_set(p, DEDUP_P_ROWS, 2));
    }
    data += 2;
    size -= 2;

    dedup_hasher *h = NULL;
    dedup_batch *b = NULL;
    FUZZ_OK(dedup_hasher_create(&h, p));
    FUZZ_OK(dedup_batch_create(&b, p));
    dedup_signature *sig[MAX_DOCS];
    int n = 0;
    while (size > 0 && n < MAX_DOCS) {
        size_t len = data[0] & 15;
        data++;
        size--;
        if (len > size)
            len = size;
        uint64_t set[16];
        for (size_t i = 0; i < len; i++)
            set[i] = dedup__mix64(data[i] + 1);
        data += len;
        size -= len;
        FUZZ_OK(dedup_signature_create(&sig[n], p));
        FUZZ_OK(dedup_hasher_sign_shingles(h, set, len, sig[n]));
        size_t pos = SIZE_MAX;
        FUZZ_OK(dedup_batch_add(b, sig[n], &pos));
        FUZZ_CHECK(pos == (size_t)n);
        n++;
    }

    /* The model. */
    /* The batch's own LSH settings: deriving them again would double the
     * cost of each run (dedup_lsh_choose integrates numerically). */
    unsigned bands = b->bands;
    double sim[MAX_DOCS][MAX_DOCS];
    int dup[MAX_DOCS][MAX_DOCS];
    int parent[MAX_DOCS], rep[MAX_DOCS];
    for (int i = 0; i < n; i++)
        parent[i] = i;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < i; j++) {
            /* The batch's own estimate (it keeps compact values) and its
             * own notion of agreeing on a band; the model checks how
             * candidates, verification and assignment combine them. */
            sim[i][j] = sim[j][i] = dedup__batch_similarity(b, (size_t)j, (size_t)i);
            int cand = 0;
            for (unsigned band = 0; band < bands && !cand; band++)
                cand = dedup__batch_band_agree(b, (size_t)j, (size_t)i, band);
            dup[i][j] = dup[j][i] = cand && sim[i][j] >= threshold;
            if (dup[i][j]) {
                int a = find(parent, i), c = find(parent, j);
                if (a < c)
                    parent[c] = a;
                else
                    parent[a] = c;
            }
        }
    /* Representative: the smallest earlier representative r that is a
     * verified partner, or the representative of a verified partner with
     * sim(r, i) at or above the threshold. */
    double rep_sim[MAX_DOCS];
    for (int i = 0; i < n; i++) {
        rep[i] = i;
        rep_sim[i] = 1.0;
        for (int j = 0; j < i; j++) {
            if (!dup[i][j] || rep[j] >= rep[i])
                continue;
            int r = rep[j];
            if (r != j && sim[i][r] < threshold)
                continue;
            rep[i] = r;
            rep_sim[i] = sim[i][r];
        }
    }

    for (unsigned threads = 1; threads <= 3; threads += 2) {
        dedup_clusters *c = NULL;
        FUZZ_OK(dedup_batch_cluster(&c, b, threads));
        FUZZ_CHECK(dedup_clusters_doc_count(c) == (size_t)n);
        size_t count = 0, total = 0;
        for (int i = 0; i < n; i++) {
            size_t want = mode == DEDUP_CLUSTER_TRANSITIVE ? (size_t)find(parent, i)
                                                           : (size_t)rep[i];
            size_t got = dedup_clusters_of(c, (size_t)i);
            FUZZ_CHECK(got == want);
            double s = dedup_clusters_similarity(c, (size_t)i);
            if (got == (size_t)i) {
                count++;
                total += dedup_clusters_size_of(c, (size_t)i);
                FUZZ_CHECK(s == 1.0);
            } else if (mode == DEDUP_CLUSTER_REPRESENTATIVE) {
                FUZZ_CHECK(s == rep_sim[i]);
            } else {
                /* Transitive: the best similarity among its verified pairs. */
                double best = 0.0;
                for (int j = 0; j < n; j++)
                    if (j != i && dup[i][j] && sim[i][j] > best)
                        best = sim[i][j];
                FUZZ_CHECK(s == best);
            }
        }
        FUZZ_CHECK(dedup_clusters_count(c) == count);
        FUZZ_CHECK(total == (size_t)n);
        FUZZ_CHECK(dedup_clusters_of(c, (size_t)n) == SIZE_MAX);
        dedup_clusters_free(c);
    }

    for (int i = 0; i < n; i++)
        dedup_signature_free(sig[i]);
    dedup_batch_free(b);
    dedup_hasher_free(h);
    dedup_params_free(p);
    return 0;
}
