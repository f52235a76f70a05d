// OpenBLAS (CBLAS) and LAPACKE, as installed by Debian's libopenblas-dev and liblapacke-dev
// (scripts/bootstrap). Both headers sit on the default include path (cblas.h through the
// Debian alternatives link in /usr/include/<triplet>/).
#ifndef CABLECAR_COPENBLAS_SHIM_H
#define CABLECAR_COPENBLAS_SHIM_H

#include <cblas.h>
#include <lapacke.h>

// Declared here as well because the generic (reference) cblas.h that the alternatives link may
// point to does not declare it; libopenblas always exports it.
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
char *openblas_get_corename(void);

#endif
