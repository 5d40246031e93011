/*
 * tensorpool: result codes of the C API (libtensorpool.so).
 *
 * Every function that can fail returns a tp_err_t: TP_OK (0) on success, a
 * negative code otherwise. The values match the reference C client, so code
 * written against it compiles unchanged. After a failure, tp_errmsg() on the
 * same thread describes what went wrong.
 */
#ifndef TENSORPOOL_ERRORS_H
#define TENSORPOOL_ERRORS_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum tp_err_enum
{
    TP_OK = 0,
    TP_ERR_ARG = -1,         /* a NULL, closed or out-of-range argument */
    TP_ERR_AERON = -2,       /* the Aeron media driver or a publication/subscription failed */
    TP_ERR_TIMEOUT = -3,     /* nothing arrived in time; on the data path: no frame yet */
    TP_ERR_PROTOCOL = -4,    /* the driver refused or revoked, or a message broke the spec */
    TP_ERR_SHM = -5,         /* a region could not be mapped or failed validation */
    TP_ERR_IO = -6,          /* a file or system call failed */
    TP_ERR_NOMEM = -7,       /* out of memory */
    TP_ERR_UNSUPPORTED = -8, /* not supported by this build or configuration */
    TP_ERR_BUSY = -9,        /* try again: back-pressure, no pool slot, a claim already open */
    TP_ERR_NOT_FOUND = -10   /* no such entry */
}
tp_err_t;

#ifdef __cplusplus
}
#endif

#endif
