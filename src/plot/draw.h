/* mnistlab plot, internal: drawing pieces shared by several charts. */
#ifndef ML_PLOT_DRAW_H
#define ML_PLOT_DRAW_H

#include "plot/cells.h"

/* Grey colour role for an intensity in [0, 1]. */
uint8_t ml_grey_role(double v);
/* An image scaled into cw x ch cells at (x0, y0), values mapped from [lo, hi]. */
void ml_draw_image(ml_cells *c, int x0, int y0, int cw, int ch, const float *px, int rows, int cols, double lo,
                   double hi, int ascii);

#endif
