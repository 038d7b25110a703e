/*
 * fast_plan_stats.c - how far a level 1-3 pair's parse of its target could
 * be taken from the target's own parse (docs/engine.md, "Levels 1-3").
 *
 * deflate_fast inserts a position into the hash chains only when it starts
 * a step, or lies inside a match of at most max_lazy bytes, so the chain a
 * target step walks depends on the parse before it.  This tool parses every
 * pair x ⊕ t of the deflate benchmark's data from scratch with a plain
 * model of deflate_fast (checked against zlib's size), and the target alone
 * (its "plan": target index 0 is a valid candidate, as it is in a pair),
 * and counts, over the pair's steps in the target:
 *
 *   in step   the plan has a step at the same target position;
 *   same walk the step's chain walk visits the same candidates (target
 *             positions only, in the same order) and ends the same way,
 *             so its outcome can be taken from the plan;
 *   open      the plan's walk ran out of candidates before its chain budget
 *             and nice length (a pair continues into earlier positions:
 *             the source's, or target positions only the pair inserted);
 *   insdiff   the walk differs because a target position was inserted by
 *             one parse and not the other.
 *
 * Usage: fast_plan_stats [seed] [nsources] [levels]  (ZF_TARGETS, ZF_PYLIB
 * as for bench_deflate_engine.sh).  Build:
 *   cc -O2 -o /tmp/fps benchmarks/fast_plan_stats.c csrc/engine_deflate.c csrc/deflate_size.c \
 *      csrc/zf_zlib.c csrc/zf_loop.c -lz
 */
#define main bench_main
#include "bench_deflate_engine.c"
#undef main

#include "../csrc/deflate_size.h"

#define MAXN 65536
#define CH_MAX 64

typedef struct step {
    uint32_t pos, len, dist; /* len 0: literal */
    uint8_t ncand, end;      /* end: 0 budget, 1 nice/maxlen, 2 exhausted */
    uint32_t cand[CH_MAX];
} step;

typedef struct parse {
    uint32_t nsteps;
    step *st;
    uint8_t *ins; /* ins[p]: p inserted */
    uint32_t *at; /* at[p]: step index + 1, 0 none */
    ds_freqs f;
} parse;

static uint32_t head[32768], prv[MAXN];

static uint32_t h3(const uint8_t *p) { return ((p[0] << 10) ^ (p[1] << 5) ^ p[2]) & 32767; }

/* deflate_fast over buf[0..n) (no window slide: n < 32K).  Positions are
 * stored +1 (0 = NIL); a candidate is valid when stored > nil_below
 * (1 for a whole text: zlib's position 0 is never a candidate; 0 for a
 * plan: target index 0 follows a source in a pair). */
static void run(const ds_cfg *c, const uint8_t *buf, uint32_t n, uint32_t nil_below, parse *P) {
    memset(head, 0, sizeof head);
    memset(P->ins, 0, n);
    memset(P->at, 0, n * sizeof *P->at);
    memset(&P->f, 0, sizeof P->f);
    P->f.lit[256] = 1;
    P->nsteps = 0;
    uint32_t s = 0;
#define INS(q)                                                                             \
    do {                                                                                   \
        uint32_t hq = h3(buf + (q));                                                       \
        prv[q] = head[hq];                                                                 \
        head[hq] = (q) + 1;                                                                \
        P->ins[q] = 1;                                                                     \
    } while (0)
    while (s < n) {
        uint32_t look = n - s;
        step *S = &P->st[P->nsteps++];
        P->at[s] = P->nsteps;
        S->pos = s;
        S->len = 0;
        S->ncand = 0;
        S->end = 2;
        if (look >= 3) {
            uint32_t cur = head[h3(buf + s)];
            INS(s);
            uint32_t best = 2, maxlen = look < 258 ? look : 258, nice = c->nice < maxlen ? c->nice : maxlen;
            uint32_t chain = c->chain, ms = 0;
            while (cur > nil_below) {
                uint32_t q = cur - 1;
                S->cand[S->ncand++] = q;
                uint32_t l = 0;
                /* zlib: compare scan[best], scan[0], scan[1] first; the result is
                   the common length capped at maxlen, taken if > best */
                if (buf[q + best] == buf[s + best] && buf[q] == buf[s] && buf[q + 1] == buf[s + 1]) {
                    while (l < maxlen && buf[q + l] == buf[s + l])
                        l++;
                }
                if (l > best) {
                    best = l;
                    ms = q;
                    if (l >= nice) {
                        S->end = 1;
                        break;
                    }
                }
                cur = prv[q];
                if (--chain == 0) { /* the budget ends it, whatever follows */
                    S->end = 0;
                    break;
                }
            }
            if (best >= 3) {
                S->len = best;
                S->dist = s - ms;
            }
        }
        if (S->len) {
            P->f.lit[257 + (S->len < 11 ? S->len - 3 : 0)]++; /* exact codes not needed below */
            if (S->len <= c->lazy && look - S->len >= 3)
                for (uint32_t q = s + 1; q < s + S->len; q++)
                    INS(q);
            s += S->len;
        } else {
            s++;
        }
    }
#undef INS
}

int main(int argc, char **argv) {
    unsigned seed = argc > 1 ? (unsigned)atoi(argv[1]) : 1;
    size_t nsrc = argc > 2 ? (size_t)atol(argv[2]) : 150;
    const char *levels = argc > 3 ? argv[3] : "123";
    text tg[NTARGETS], *src;
    size_t ntg, ns;
    if (load_inputs(seed, nsrc, tg, &ntg, &src, &ns))
        return 2;
    static step stA[MAXN], stB[MAXN];
    static uint8_t insA[MAXN], insB[MAXN];
    static uint32_t atA[MAXN], atB[MAXN];
    parse A = {0, stA, insA, atA, {{0}, {0}, 0}}, B = {0, stB, insB, atB, {{0}, {0}, 0}};
    uint8_t *cat = malloc(MAXN);
    for (const char *lv = levels; *lv; lv++) {
        int level = *lv - '0';
        ds_cfg c;
        if (ds_cfg_for_level(level, &c) || c.slow)
            continue;
        double steps = 0, instep = 0, same = 0, open_ = 0, open_src = 0, insdiff = 0,
               samelen = 0, plansteps = 0, npairs = 0, runs = 0, lit_steps = 0;
        double prefix_steps = 0; /* steps before the first in-step step */
        for (size_t j = 0; j < ntg; j++) {
            parse *T = &B;
            run(&c, tg[j].p, (uint32_t)tg[j].n, 0, T); /* the plan */
            for (size_t i = 0; i < ns; i++) {
                uint32_t xl = (uint32_t)src[i].n, tl = (uint32_t)tg[j].n;
                memcpy(cat, src[i].p, xl);
                memcpy(cat + xl, tg[j].p, tl);
                run(&c, cat, xl + tl, 1, &A);
                npairs++;
                plansteps += T->nsteps;
                int was_in = 0, seen_in = 0;
                for (uint32_t k = 0; k < A.nsteps; k++) {
                    step *S = &A.st[k];
                    if (S->pos < xl)
                        continue;
                    uint32_t ti = S->pos - xl;
                    steps++;
                    if (!seen_in)
                        prefix_steps++;
                    if (!T->at[ti]) {
                        was_in = 0;
                        continue;
                    }
                    seen_in = 1;
                    if (!was_in)
                        runs++;
                    was_in = 1;
                    instep++;
                    step *Q = &T->st[T->at[ti] - 1];
                    if (Q->len == 0)
                        lit_steps++;
                    if (Q->end == 2)
                        open_++;
                    /* same walk: same candidates (in target coordinates), same end */
                    int eq = Q->ncand == S->ncand && Q->end == S->end;
                    int src_touched = 0;
                    for (uint32_t m = 0; m < S->ncand; m++)
                        src_touched |= S->cand[m] < xl;
                    for (uint32_t m = 0; eq && m < Q->ncand; m++)
                        eq = S->cand[m] >= xl && S->cand[m] - xl == Q->cand[m];
                    if (eq) {
                        same++;
                    } else if (Q->end == 2 && src_touched) {
                        open_src++;
                    } else {
                        insdiff++;
                    }
                    samelen += S->len == Q->len && (S->len == 0 || S->dist == Q->dist);
                }
            }
        }
        printf("level %d: %.0f pairs; per pair: plan steps %.1f, target steps %.1f, "
               "in step %.1f (%.1f%%) in %.1f runs (%.1f steps before the first), "
               "same walk %.1f (%.1f%% of target steps), differing: open walk reaching the "
               "source %.1f, other (insertion sets) %.1f; same outcome %.1f; plan walk open %.1f; "
               "literal steps %.1f\n",
               level, npairs, plansteps / npairs, steps / npairs, instep / npairs,
               100 * instep / steps, runs / npairs, prefix_steps / npairs, same / npairs,
               100 * same / steps, open_src / npairs, insdiff / npairs, samelen / npairs,
               open_ / npairs, lit_steps / npairs);
    }
    return 0;
}
