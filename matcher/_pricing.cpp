// Pricing kernels for column generation (matcher.pricing says what each answers):
//
// * mm_route_costs: a cost per route of a pool, in one pass over its arrays: its objective
//   coefficient, less the duals of its supply (or stock) and demand rows, and plus or minus
//   its volume times the sum of per-day values over the days it holds room in its depot (the
//   depot-day duals and prices of matcher.solve).  numpy took a dozen passes over arrays of
//   millions of routes, with as many temporaries: 10.7 s of the workers' time in a run of
//   100k listings a side with 20 depots, seed 4, and 3.8 s more for the working routes' costs
//   at each price round.  The operations are numpy's, in its order, so the costs are the same
//   to the last bit (no fused multiply-add: see setup.py).
//
// * mm_least_below: the least value among the first items of a list whose level is at most a
//   limit, for many queries at once: the depot pricer asks it, per group of supplies, for each
//   demand's cheapest transfer (routes.py).  The queries go in order of how many items they
//   take; the items enter a Fenwick tree over the levels as the queries reach them, each node
//   holding the least value below it and the first item that has it.  So n items and m queries
//   take O((n + m) log levels), where the matrix of levels by items that numpy needed took
//   O(levels * n), 4.2 s of the workers' time in a run of 100k listings a side, seed 3.
//
// Used from Python through ctypes; the entry points below are C.

#include <Python.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <numeric>
#include <vector>

namespace {

constexpr int8_t STOCK = 2;  // matcher.routes.STOCK

inline int64_t clamp(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : (v > hi ? hi : v); }

}  // namespace

extern "C" {

// For each of the n routes r (idx[j], or j where idx is null), out[j] is
//
//   obj[r] - row_dual[src row] - row_dual[dem[r] + dem_offset] + sign * m3 * held
//
// with obj 0 where null and no duals where row_dual is null.  A route's src row is src[r],
// or src[r] + stock_offset for a stock route (kind STOCK).  m3 = mat_m3[mat[r]], and held is
// what the route holds in its depot (none where depot[r] < 0 or dense is null): dense[k *
// width + i] is depot k's sum of values over the days before first + i, so a depot route
// holds dense at q less dense at p, and a stock route frees the days from q on: dense at q
// less the depot's total (its last entry).
void mm_route_costs(int64_t n, const int64_t* idx, const double* obj, const int32_t* src,
                    const int32_t* dem, const int8_t* kind, const int32_t* depot,
                    const int32_t* p, const int32_t* q, const int32_t* mat,
                    const double* mat_m3, const double* row_dual, int64_t stock_offset,
                    int64_t dem_offset, const double* dense, int64_t width, int64_t first,
                    double sign, double* out) {
  for (int64_t j = 0; j < n; ++j) {
    const int64_t r = idx != nullptr ? idx[j] : j;
    double v = obj != nullptr ? obj[r] : 0.0;
    if (row_dual != nullptr) {
      const int64_t s = kind[r] == STOCK ? src[r] + stock_offset : src[r];
      v -= row_dual[s];
      v -= row_dual[dem[r] + dem_offset];
    }
    const int64_t k = depot[r];
    if (dense != nullptr && k >= 0) {
      const double* row = dense + k * width;
      const double at_q = row[clamp(int64_t{q[r]} - first, 0, width - 1)];
      const double held = kind[r] == STOCK ? at_q - row[width - 1]
                                           : at_q - row[clamp(int64_t{p[r]} - first, 0, width - 1)];
      v += sign * (mat_m3[mat[r]] * held);
    }
    out[j] = v;
  }
}

// For each query j: the least value[i] over the items i < count[j] with level[i] <= limit[j],
// and the first such i that has it; +infinity and 0 where no item qualifies.  Levels run from
// 0 to n_levels - 1; a limit below 0 admits none.
void mm_least_below(int64_t n, const double* value, const int32_t* level, int32_t n_levels,
                    int64_t m, const int64_t* count, const int32_t* limit, double* best,
                    int64_t* at) {
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<int64_t> order(static_cast<size_t>(m));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [count](int64_t a, int64_t b) { return count[a] < count[b]; });
  // Fenwick tree over levels 1..n_levels: node k holds the least value among the items that
  // entered with a level in (k - lowbit(k), k], and the first item with it
  std::vector<double> tree_value(static_cast<size_t>(n_levels) + 1, inf);
  std::vector<int64_t> tree_item(static_cast<size_t>(n_levels) + 1, 0);
  int64_t entered = 0;
  for (int64_t j : order) {
    for (; entered < n && entered < count[j]; ++entered) {
      const double v = value[entered];
      for (int64_t k = level[entered] + 1; k <= n_levels; k += k & -k) {
        if (v < tree_value[k]) {  // (ties keep the earlier item: items enter in order)
          tree_value[k] = v;
          tree_item[k] = entered;
        }
      }
    }
    double v = inf;
    int64_t i = 0;
    for (int64_t k = std::min<int64_t>(limit[j], n_levels - 1) + 1; k > 0; k -= k & -k) {
      if (tree_value[k] < v || (tree_value[k] == v && v != inf && tree_item[k] < i)) {
        v = tree_value[k];
        i = tree_item[k];
      }
    }
    best[j] = v;
    at[j] = i;
  }
}

}  // extern "C"

// The library is loaded with ctypes; the module is there so that setuptools builds it and
// Python's import machinery can find it (importlib.util.find_spec).
static PyModuleDef pricing_module = {PyModuleDef_HEAD_INIT, "_pricing",
                                     "Pricing kernels for column generation "
                                     "(used through ctypes, see matcher.pricing).",
                                     -1, nullptr, nullptr, nullptr, nullptr, nullptr};

PyMODINIT_FUNC PyInit__pricing(void) { return PyModule_Create(&pricing_module); }
