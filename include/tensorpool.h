/* tensorpool: the whole C API of libtensorpool.so. */
#ifndef TENSORPOOL_H
#define TENSORPOOL_H

#include "tensorpool_client.h"

#endif
