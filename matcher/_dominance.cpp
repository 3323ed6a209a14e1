// The least value among the first items of a list whose level is at most a limit, for many
// queries at once (matcher.dominance.least_below says what it answers): the depot pricer asks
// it, per group of supplies, for each demand's cheapest transfer (routes.py).
//
// The queries go in order of how many items they take; the items enter a Fenwick tree over
// the levels as the queries reach them, each node holding the least value below it and the
// first item that has it.  So n items and m queries take O((n + m) log levels), where the
// matrix of levels by items that numpy needed took O(levels * n), 4.2 s of the workers' time
// in a run of 100k listings a side with 20 depots.
//
// Used from Python through ctypes; the entry point below is C.

#include <Python.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <numeric>
#include <vector>

extern "C" {

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
static PyModuleDef dominance_module = {PyModuleDef_HEAD_INIT, "_dominance",
                                       "Least values below a level among the first items "
                                       "(used through ctypes, see matcher.dominance).",
                                       -1, nullptr, nullptr, nullptr, nullptr, nullptr};

PyMODINIT_FUNC PyInit__dominance(void) { return PyModule_Create(&dominance_module); }
