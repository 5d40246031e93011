/*
 * Checks shared by the C tests: each failed check prints where and why and counts in
 * `failures`; a test exits non-zero when it is not 0. Include after the system headers.
 */
#ifndef TP_EXPECT_H
#define TP_EXPECT_H

#include <stdio.h>

#include "tensorpool.h"

static int failures;

#define EXPECT(cond)                                                                   \
    do                                                                                 \
    {                                                                                  \
        if (!(cond))                                                                   \
        {                                                                              \
            fprintf(stderr, "%s:%d: expected %s\n", __FILE__, __LINE__, #cond);        \
            failures++;                                                                \
        }                                                                              \
    }                                                                                  \
    while (0)

/* call must return want and record it as this thread's last error, with a message. */
#define EXPECT_CODE(want, call)                                                                            \
    do                                                                                                     \
    {                                                                                                      \
        long got_ = (long)(call);                                                                          \
        if (got_ != (want) || tp_errcode() != (want) || tp_errmsg() == NULL || tp_errmsg()[0] == '\0')     \
        {                                                                                                  \
            fprintf(stderr, "%s:%d: %s returned %ld (last error %d \"%s\"), want %s\n", __FILE__, __LINE__, \
                #call, got_, (int)tp_errcode(), tp_errmsg() != NULL ? tp_errmsg() : "(null)", #want);     \
            failures++;                                                                                    \
        }                                                                                                  \
    }                                                                                                      \
    while (0)

#define EXPECT_OK(call)                                                                                     \
    do                                                                                                      \
    {                                                                                                       \
        tp_err_t got_ = (call);                                                                             \
        if (got_ != TP_OK)                                                                                  \
        {                                                                                                   \
            fprintf(stderr, "%s:%d: %s returned %d: %s\n", __FILE__, __LINE__, #call, (int)got_, tp_errmsg()); \
            failures++;                                                                                     \
        }                                                                                                   \
    }                                                                                                       \
    while (0)

#endif
