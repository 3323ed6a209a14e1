// A primal network simplex for min-cost flow whose arc set can grow between solves, keeping
// its spanning tree: routes that column generation lets in join the network as arcs at their
// lower bound (no flow), which leaves the tree's flows feasible, so the next solve goes on from
// the last optimum instead of starting from nothing.
//
// The algorithm and its data structures (the tree as parent / thread / successor-count lists,
// the block-search and candidate-list pivot rules, the heuristic initial pivots) are those of
// LEMON's NetworkSimplex by Peter Kovacs (lemon/network_simplex.h, LEMON 1.3, Boost Software
// License 1.0, as vendored by pylmcf), written here over plain arrays.  What differs:
//
// * Arcs live in growable vectors and ``mm_ns_add_arcs`` appends to them between solves.
// * There are no artificial arcs: the network has a hub (the node that stands for "not sent"
//   and "bought new"), and the caller's first arcs join every other node to it, in the
//   direction of its supply.  They are the first spanning tree, feasible by construction, so
//   the potentials stay sums of real costs (LEMON's artificial arcs cost max/2 and would leave
//   potentials of that size wherever one stays in the tree).
// * A solve after the costs changed recomputes the potentials along the tree and goes on from
//   it (LEMON, as pylmcf extends it, does the same in warmRun with costs_changed).
// * Such a solve first renumbers the nodes in the tree's thread order, and every solve does
//   again every RELABEL_EVERY pivots.  After each pivot the potentials of a subtree change, a
//   walk along the thread that chases one pointer per node (a thousand nodes a pivot, on
//   average, in the price rounds of 100k x 20 depots); in thread order it reads memory mostly
//   in sequence.  Renumbering at the start of the solves from a tree took the whole run of
//   seed 3 from 64.0 and 59.4 s to 52.6 and 51.0 s (run in turns), with the same pivots;
//   renumbering every 2,000 pivots as well took the 43 solves from nothing that match what
//   rounding leaves (matcher.solve._transport_flow) from 4.2 / 4.4 s to 2.7 / 2.6 s.
//
// Used from Python through ctypes (matcher/netsimplex.py); every entry point below is C.

#include <Python.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <new>
#include <vector>

namespace {

using Value = int64_t;
using Cost = int64_t;

constexpr signed char STATE_UPPER = -1;
constexpr signed char STATE_TREE = 0;
constexpr signed char STATE_LOWER = 1;
constexpr signed char DIR_DOWN = -1;
constexpr signed char DIR_UP = 1;

enum Status : int { OPTIMAL = 0, BAD_INPUT = 1, UNBOUNDED = 2 };
enum Rule : int { BLOCK_SEARCH = 0, CANDIDATE_LIST = 1 };

struct Network {
  int n = 0;     // nodes
  int root = 0;  // the hub
  std::vector<Value> supply;

  // arcs: the hub arcs first (one per node but the hub), then the others as added
  std::vector<int> source, target;
  std::vector<Cost> cost;
  std::vector<Value> cap, flow;
  std::vector<signed char> state;

  // the spanning tree
  std::vector<int> parent, pred, thread, rev_thread, succ_num, last_succ;
  std::vector<signed char> pred_dir;
  std::vector<Cost> pi;
  std::vector<int> dirty_revs;
  bool has_tree = false;  // whether the last solve ended optimal (a tree to go on from)
  int64_t pivots = 0;     // the last solve's

  // Nodes are numbered in the tree's thread order at the start of each solve that goes on
  // from a tree (relabel), so that the walks along the thread, above all the potentials'
  // update after each pivot, read memory mostly in order.  ``label`` is each node's number
  // as the caller knows it, ``node`` the reverse.
  std::vector<int> label, node;

  // the pivot in progress
  int in_arc = 0, join = 0, u_in = 0, v_in = 0, u_out = 0, v_out = 0;
  Value delta = 0;

  int arcs() const { return static_cast<int>(source.size()); }

  // Renumbers the nodes: node ``u`` becomes ``to[u]``, in every array and arc.
  void relabel(const std::vector<int>& to) {
    auto moved = [&](auto& a) {
      auto old = a;
      for (int u = 0; u != n; ++u) a[to[u]] = old[u];
    };
    auto moved_nodes = [&](std::vector<int>& a) {
      std::vector<int> old(a);
      for (int u = 0; u != n; ++u) a[to[u]] = old[u] < 0 ? old[u] : to[old[u]];
    };
    moved(supply);
    moved(pred);
    moved(succ_num);
    moved(pred_dir);
    moved(pi);
    moved(label);
    moved_nodes(parent);
    moved_nodes(thread);
    moved_nodes(rev_thread);
    moved_nodes(last_succ);
    for (int& u : source) u = to[u];
    for (int& u : target) u = to[u];
    root = to[root];
    for (int u = 0; u != n; ++u) node[label[u]] = u;
  }

  // Numbers the nodes in thread order from the root.
  void relabel_in_thread_order() {
    std::vector<int> to(n);
    int k = 0;
    for (int u = root;; u = thread[u]) {
      to[u] = k++;
      if (thread[u] == root) break;
    }
    relabel(to);
  }

  // Numbers the nodes as the caller does.
  void relabel_as_given() {
    bool given = true;
    for (int u = 0; u != n && given; ++u) given = label[u] == u;
    if (!given) relabel(std::vector<int>(label));  // (a copy: relabel renumbers ``label`` too)
  }

  // The hub arcs as the tree, every other arc at its lower bound (nodes numbered as given).
  bool init_tree() {
    relabel_as_given();
    for (int e = 0; e != arcs(); ++e) {
      flow[e] = 0;
      state[e] = STATE_LOWER;
    }
    parent[root] = -1;
    pred[root] = -1;
    pred_dir[root] = DIR_UP;
    pi[root] = 0;
    succ_num[root] = n;
    int prev = root;
    for (int u = 0; u != n; ++u) {
      if (u == root) continue;
      int e = u < root ? u : u - 1;  // its hub arc
      thread[prev] = u;
      rev_thread[u] = prev;
      prev = u;
      parent[u] = root;
      pred[u] = e;
      succ_num[u] = 1;
      last_succ[u] = u;
      state[e] = STATE_TREE;
      if (source[e] == u) {
        pred_dir[u] = DIR_UP;
        flow[e] = supply[u];
      } else {
        pred_dir[u] = DIR_DOWN;
        flow[e] = -supply[u];
      }
      if (flow[e] < 0 || flow[e] > cap[e]) return false;
      pi[u] = pi[root] - pred_dir[u] * cost[e];
    }
    thread[prev] = root;
    rev_thread[root] = prev;
    last_succ[root] = prev;
    return true;
  }

  // The potentials of the tree as it stands, for the current costs (tree arcs at reduced cost 0).
  void tree_potentials() {
    pi[root] = 0;
    for (int u = thread[root]; u != root; u = thread[u]) {
      pi[u] = pi[parent[u]] - pred_dir[u] * cost[pred[u]];
    }
  }

  Cost reduced(int e) const { return state[e] * (cost[e] + pi[source[e]] - pi[target[e]]); }

  void find_join_node() {
    int u = source[in_arc], v = target[in_arc];
    while (u != v) {
      if (succ_num[u] < succ_num[v]) {
        u = parent[u];
      } else {
        v = parent[v];
      }
    }
    join = u;
  }

  // The leaving arc of the cycle; false where it is the entering arc itself.
  bool find_leaving_arc() {
    int first, second;
    if (state[in_arc] == STATE_LOWER) {
      first = source[in_arc];
      second = target[in_arc];
    } else {
      first = target[in_arc];
      second = source[in_arc];
    }
    delta = cap[in_arc];
    int result = 0;
    for (int u = first; u != join; u = parent[u]) {
      int e = pred[u];
      Value d = pred_dir[u] == DIR_DOWN ? cap[e] - flow[e] : flow[e];
      if (d < delta) {
        delta = d;
        u_out = u;
        result = 1;
      }
    }
    for (int u = second; u != join; u = parent[u]) {
      int e = pred[u];
      Value d = pred_dir[u] == DIR_UP ? cap[e] - flow[e] : flow[e];
      if (d <= delta) {
        delta = d;
        u_out = u;
        result = 2;
      }
    }
    if (result == 1) {
      u_in = first;
      v_in = second;
    } else {
      u_in = second;
      v_in = first;
    }
    return result != 0;
  }

  void change_flow(bool change) {
    if (delta > 0) {
      Value val = state[in_arc] * delta;
      flow[in_arc] += val;
      for (int u = source[in_arc]; u != join; u = parent[u]) flow[pred[u]] -= pred_dir[u] * val;
      for (int u = target[in_arc]; u != join; u = parent[u]) flow[pred[u]] += pred_dir[u] * val;
    }
    if (change) {
      state[in_arc] = STATE_TREE;
      state[pred[u_out]] = flow[pred[u_out]] == 0 ? STATE_LOWER : STATE_UPPER;
    } else {
      state[in_arc] = static_cast<signed char>(-state[in_arc]);
    }
  }

  void update_tree_structure() {
    int old_rev_thread = rev_thread[u_out];
    int old_succ_num = succ_num[u_out];
    int old_last_succ = last_succ[u_out];
    v_out = parent[u_out];

    if (u_in == u_out) {
      parent[u_in] = v_in;
      pred[u_in] = in_arc;
      pred_dir[u_in] = u_in == source[in_arc] ? DIR_UP : DIR_DOWN;
      if (thread[v_in] != u_out) {
        int after = thread[old_last_succ];
        thread[old_rev_thread] = after;
        rev_thread[after] = old_rev_thread;
        after = thread[v_in];
        thread[v_in] = u_out;
        rev_thread[u_out] = v_in;
        thread[old_last_succ] = after;
        rev_thread[after] = old_last_succ;
      }
    } else {
      int thread_continue = old_rev_thread == v_in ? thread[old_last_succ] : thread[v_in];
      int stem = u_in, par_stem = v_in, next_stem;
      int last = last_succ[u_in];
      int before, after = thread[last];
      thread[v_in] = u_in;
      dirty_revs.clear();
      dirty_revs.push_back(v_in);
      while (stem != u_out) {
        next_stem = parent[stem];
        thread[last] = next_stem;
        dirty_revs.push_back(last);
        before = rev_thread[stem];
        thread[before] = after;
        rev_thread[after] = before;
        parent[stem] = par_stem;
        par_stem = stem;
        stem = next_stem;
        last = last_succ[stem] == last_succ[par_stem] ? rev_thread[par_stem] : last_succ[stem];
        after = thread[last];
      }
      parent[u_out] = par_stem;
      thread[last] = thread_continue;
      rev_thread[thread_continue] = last;
      last_succ[u_out] = last;
      if (old_rev_thread != v_in) {
        thread[old_rev_thread] = after;
        rev_thread[after] = old_rev_thread;
      }
      for (int u : dirty_revs) rev_thread[thread[u]] = u;
      int tmp_sc = 0, tmp_ls = last_succ[u_out];
      for (int u = u_out, p = parent[u]; u != u_in; u = p, p = parent[u]) {
        pred[u] = pred[p];
        pred_dir[u] = static_cast<signed char>(-pred_dir[p]);
        tmp_sc += succ_num[u] - succ_num[p];
        succ_num[u] = tmp_sc;
        last_succ[p] = tmp_ls;
      }
      pred[u_in] = in_arc;
      pred_dir[u_in] = u_in == source[in_arc] ? DIR_UP : DIR_DOWN;
      succ_num[u_in] = old_succ_num;
    }

    int up_limit_out = last_succ[join] == v_in ? join : -1;
    int last_succ_out = last_succ[u_out];
    for (int u = v_in; u != -1 && last_succ[u] == v_in; u = parent[u]) last_succ[u] = last_succ_out;
    if (join != old_rev_thread && v_in != old_rev_thread) {
      for (int u = v_out; u != up_limit_out && last_succ[u] == old_last_succ; u = parent[u])
        last_succ[u] = old_rev_thread;
    } else if (last_succ_out != old_last_succ) {
      for (int u = v_out; u != up_limit_out && last_succ[u] == old_last_succ; u = parent[u])
        last_succ[u] = last_succ_out;
    }
    for (int u = v_in; u != join; u = parent[u]) succ_num[u] += old_succ_num;
    for (int u = v_out; u != join; u = parent[u]) succ_num[u] -= old_succ_num;
  }

  void update_potential() {
    Cost sigma = pi[v_in] - pi[u_in] - pred_dir[u_in] * cost[in_arc];
    int end = thread[last_succ[u_in]];
    for (int u = u_in; u != end; u = thread[u]) pi[u] += sigma;
  }

  // One pivot on ``in_arc``; false where the cycle is unbounded.
  bool pivot() {
    find_join_node();
    bool change = find_leaving_arc();
    if (delta >= std::numeric_limits<Value>::max() / 2) return false;
    change_flow(change);
    if (change) {
      update_tree_structure();
      update_potential();
    }
    return true;
  }

  // LEMON's heuristic start: the cheapest arc into each node that takes flow.
  bool initial_pivots() {
    std::vector<int> cheapest(n, -1);
    for (int e = 0; e != arcs(); ++e) {
      int v = target[e];
      if (supply[v] < 0 && (cheapest[v] < 0 || cost[e] < cost[cheapest[v]])) cheapest[v] = e;
    }
    for (int v = 0; v != n; ++v) {
      in_arc = cheapest[v];
      if (in_arc < 0 || reduced(in_arc) >= 0) continue;
      if (!pivot()) return false;
    }
    return true;
  }

  // The pivot rules search the arcs round from where the last search stopped.
  static int wrapped(int e, int m) { return e == m ? 0 : e; }

  // LEMON's block search: the best arc of each block of sqrt(m) arcs, from where the last
  // search stopped.
  struct BlockSearch {
    Network& ns;
    int block, next = 0;
    explicit BlockSearch(Network& net)
        : ns(net), block(std::max(static_cast<int>(std::sqrt(double(net.arcs()))), 10)) {}
    bool find() {
      const int m = ns.arcs();
      Cost min = 0;
      int cnt = block;
      for (int i = 0, e = next; i != m; ++i, e = wrapped(e + 1, m)) {
        Cost c = ns.reduced(e);
        if (c < min) {
          min = c;
          ns.in_arc = e;
        }
        if (--cnt == 0) {
          if (min < 0) {
            next = e;
            return true;
          }
          cnt = block;
        }
      }
      return min < 0;  // (a whole round leaves the next search where this one began)
    }
  };

  // LEMON's candidate list: a list of eligible arcs built by a major search, from which the
  // minor iterations take the best until it runs dry or has served its turns.  LEMON's list
  // holds 0.25 sqrt(m) arcs for 0.1 of that many turns; this one holds 2 sqrt(m) for 0.05 of
  // that (0.1 sqrt(m) turns).  Replayed on the 103 solves from a tree of the three largest
  // families of 100k x 20 depots seed 4 in its price rounds (157k-268k arcs), LEMON's took
  // 1.94 million pivots and 24.1-26.1 s, this one 1.57 million and 19.1-21.1 s (4 sqrt(m)
  // for 0.025: 1.29 million, 19.9-20.8 s; 8 sqrt(m): 1.09 million, 23.8 s).
  struct CandidateList {
    Network& ns;
    std::vector<int> candidates;
    int length, minor_limit, current = 0, minor_count = 0, next = 0;
    explicit CandidateList(Network& net) : ns(net) {
      length = std::max(static_cast<int>(2.0 * std::sqrt(double(net.arcs()))), 10);
      minor_limit = std::max(static_cast<int>(0.05 * length), 3);
      candidates.resize(length);
    }
    bool find() {
      Cost min;
      if (current > 0 && minor_count < minor_limit) {
        ++minor_count;
        min = 0;
        for (int i = 0; i < current; ++i) {
          int e = candidates[i];
          Cost c = ns.reduced(e);
          if (c < min) {
            min = c;
            ns.in_arc = e;
          } else if (c >= 0) {
            candidates[i--] = candidates[--current];
          }
        }
        if (min < 0) return true;
      }
      const int m = ns.arcs();
      min = 0;
      current = 0;
      for (int i = 0, e = next; i != m; ++i, e = wrapped(e + 1, m)) {
        Cost c = ns.reduced(e);
        if (c < 0) {
          candidates[current++] = e;
          if (c < min) {
            min = c;
            ns.in_arc = e;
          }
          if (current == length) {
            next = e;
            break;
          }
        }
      }
      if (current == 0) return false;
      minor_count = 1;
      return true;
    }
  };

  static constexpr long RELABEL_EVERY = 2000;  // pivots (see the top of the file)

  template <typename Rule>
  int run() {
    Rule rule(*this);
    while (rule.find()) {
      if (!pivot()) return UNBOUNDED;
      if (++pivots % RELABEL_EVERY == 0) relabel_in_thread_order();
    }
    return OPTIMAL;
  }

  int solve(int rule, bool cold) {
    has_tree = false;
    pivots = 0;
    if (cold) {
      if (!init_tree()) return BAD_INPUT;
      if (!initial_pivots()) return UNBOUNDED;
    } else {
      relabel_in_thread_order();
      tree_potentials();
    }
    int status = rule == CANDIDATE_LIST ? run<CandidateList>() : run<BlockSearch>();
    has_tree = status == OPTIMAL;
    return status;
  }
};

}  // namespace

extern "C" {

// A network of ``n`` nodes with ``supply`` per node (summing to zero) and the hub arcs: for
// every node but ``root``, in node order, an arc between it and ``root`` in the direction of
// its supply (from it where the supply is positive, to it where negative), holding at most
// ``cap`` units.  Returns null where the input breaks that.
void* mm_ns_new(int32_t n, int32_t root, const int64_t* supply, const int32_t* hub_source,
                const int32_t* hub_target, const int64_t* hub_cap) {
  if (n < 1 || root < 0 || root >= n) return nullptr;
  Value total = 0;
  for (int u = 0; u != n; ++u) total += supply[u];
  if (total != 0) return nullptr;
  Network* ns = new (std::nothrow) Network();
  if (ns == nullptr) return nullptr;
  ns->n = n;
  ns->root = root;
  ns->supply.assign(supply, supply + n);
  for (int u = 0, e = 0; u != n; ++u) {
    if (u == root) continue;
    int s = hub_source[e], t = hub_target[e];
    bool up = s == u && t == root, down = s == root && t == u;
    if (!(up && supply[u] >= 0) && !(down && supply[u] <= 0)) {
      delete ns;
      return nullptr;
    }
    ns->source.push_back(s);
    ns->target.push_back(t);
    ns->cap.push_back(hub_cap[e]);
    ++e;
  }
  int m = ns->arcs();
  ns->cost.assign(m, 0);
  ns->flow.assign(m, 0);
  ns->state.assign(m, STATE_LOWER);
  ns->parent.assign(n, -1);
  ns->pred.assign(n, -1);
  ns->thread.assign(n, root);
  ns->rev_thread.assign(n, root);
  ns->succ_num.assign(n, 1);
  ns->last_succ.assign(n, 0);
  ns->pred_dir.assign(n, DIR_UP);
  ns->pi.assign(n, 0);
  ns->label.resize(n);
  ns->node.resize(n);
  for (int u = 0; u != n; ++u) ns->label[u] = ns->node[u] = u;
  return ns;
}

void mm_ns_free(void* handle) { delete static_cast<Network*>(handle); }

int64_t mm_ns_arcs(void* handle) { return static_cast<Network*>(handle)->arcs(); }

// Appends ``k`` arcs, at no flow and cost 0 until the next mm_ns_set_costs.  Returns 0, or 1
// where an arc names a node out of range or a negative capacity (and then adds none).
int32_t mm_ns_add_arcs(void* handle, int64_t k, const int32_t* source, const int32_t* target,
                       const int64_t* cap) {
  Network* ns = static_cast<Network*>(handle);
  for (int64_t i = 0; i != k; ++i) {
    if (source[i] < 0 || source[i] >= ns->n || target[i] < 0 || target[i] >= ns->n || cap[i] < 0)
      return 1;
  }
  if (static_cast<int64_t>(ns->arcs()) + k > std::numeric_limits<int>::max()) return 1;
  for (int64_t i = 0; i != k; ++i) {
    ns->source.push_back(ns->node[source[i]]);
    ns->target.push_back(ns->node[target[i]]);
  }
  ns->cap.insert(ns->cap.end(), cap, cap + k);
  ns->cost.resize(ns->cost.size() + k, 0);
  ns->flow.resize(ns->flow.size() + k, 0);
  ns->state.resize(ns->state.size() + k, STATE_LOWER);
  return 0;
}

// Every arc's cost per unit, in the order the arcs were given (hub arcs first).
void mm_ns_set_costs(void* handle, const int64_t* cost) {
  Network* ns = static_cast<Network*>(handle);
  std::copy(cost, cost + ns->arcs(), ns->cost.begin());
}

// Solves: from the last optimal tree where there is one and ``cold`` is 0, else from the hub
// arcs.  ``rule``: 0 block search, 1 candidate list.  Returns 0 (optimal), 1 (the hub arcs
// cannot carry the supplies) or 2 (unbounded).
int32_t mm_ns_solve(void* handle, int32_t rule, int32_t cold) {
  Network* ns = static_cast<Network*>(handle);
  return ns->solve(rule, cold != 0 || !ns->has_tree);
}

// The arcs' costs times their flows.
int64_t mm_ns_total_cost(void* handle) {
  Network* ns = static_cast<Network*>(handle);
  int64_t total = 0;
  for (int e = 0; e != ns->arcs(); ++e) total += ns->cost[e] * ns->flow[e];
  return total;
}

// The pivots of the last solve (LEMON's initial pivots of a solve from nothing not counted).
int64_t mm_ns_pivots(void* handle) { return static_cast<Network*>(handle)->pivots; }

// Whether the last solve ended optimal, with a tree that the next one goes on from.
int32_t mm_ns_has_tree(void* handle) { return static_cast<Network*>(handle)->has_tree ? 1 : 0; }

void mm_ns_flow(void* handle, int64_t* out) {
  Network* ns = static_cast<Network*>(handle);
  std::copy(ns->flow.begin(), ns->flow.end(), out);
}

// The nodes' potentials: an arc's reduced cost is cost + pi[source] - pi[target], 0 on the
// tree's arcs, pi[root] = 0.
void mm_ns_potential(void* handle, int64_t* out) {
  Network* ns = static_cast<Network*>(handle);
  for (int u = 0; u != ns->n; ++u) out[ns->label[u]] = ns->pi[u];
}

// Per arc: -1 at its upper bound, 0 in the tree, 1 at its lower bound.
void mm_ns_state(void* handle, int8_t* out) {
  Network* ns = static_cast<Network*>(handle);
  std::copy(ns->state.begin(), ns->state.end(), out);
}

// Every arc's start, end and capacity, in the order given (hub arcs first).
void mm_ns_get_arcs(void* handle, int32_t* source, int32_t* target, int64_t* cap) {
  Network* ns = static_cast<Network*>(handle);
  for (int e = 0; e != ns->arcs(); ++e) {
    source[e] = ns->label[ns->source[e]];
    target[e] = ns->label[ns->target[e]];
  }
  std::copy(ns->cap.begin(), ns->cap.end(), cap);
}

// The network's state, to carry it to another process (a pickle): the tree (per node, the
// nodes numbered as given), the flows and the arcs' states, and whether there is a tree to go
// on from.  (The numbering changes nothing that a solve does: the next one renumbers.)
void mm_ns_get_state(void* handle, int32_t* parent, int32_t* pred, int32_t* thread,
                     int32_t* rev_thread, int32_t* succ_num, int32_t* last_succ,
                     int8_t* pred_dir, int64_t* pi, int64_t* flow, int8_t* state,
                     int32_t* has_tree) {
  Network* ns = static_cast<Network*>(handle);
  ns->relabel_as_given();
  std::copy(ns->parent.begin(), ns->parent.end(), parent);
  std::copy(ns->pred.begin(), ns->pred.end(), pred);
  std::copy(ns->thread.begin(), ns->thread.end(), thread);
  std::copy(ns->rev_thread.begin(), ns->rev_thread.end(), rev_thread);
  std::copy(ns->succ_num.begin(), ns->succ_num.end(), succ_num);
  std::copy(ns->last_succ.begin(), ns->last_succ.end(), last_succ);
  std::copy(ns->pred_dir.begin(), ns->pred_dir.end(), pred_dir);
  std::copy(ns->pi.begin(), ns->pi.end(), pi);
  std::copy(ns->flow.begin(), ns->flow.end(), flow);
  std::copy(ns->state.begin(), ns->state.end(), state);
  *has_tree = ns->has_tree ? 1 : 0;
}

// Restores what mm_ns_get_state read, on a network with the same nodes and arcs.
void mm_ns_set_state(void* handle, const int32_t* parent, const int32_t* pred,
                     const int32_t* thread, const int32_t* rev_thread, const int32_t* succ_num,
                     const int32_t* last_succ, const int8_t* pred_dir, const int64_t* pi,
                     const int64_t* flow, const int8_t* state, int32_t has_tree) {
  Network* ns = static_cast<Network*>(handle);
  ns->relabel_as_given();
  const int n = ns->n, m = ns->arcs();
  std::copy(parent, parent + n, ns->parent.begin());
  std::copy(pred, pred + n, ns->pred.begin());
  std::copy(thread, thread + n, ns->thread.begin());
  std::copy(rev_thread, rev_thread + n, ns->rev_thread.begin());
  std::copy(succ_num, succ_num + n, ns->succ_num.begin());
  std::copy(last_succ, last_succ + n, ns->last_succ.begin());
  std::copy(pred_dir, pred_dir + n, ns->pred_dir.begin());
  std::copy(pi, pi + n, ns->pi.begin());
  std::copy(flow, flow + m, ns->flow.begin());
  std::copy(state, state + m, ns->state.begin());
  ns->has_tree = has_tree != 0;
}

}  // extern "C"

// The library is loaded with ctypes; the module is there so that setuptools builds it and
// Python's import machinery can find it (importlib.util.find_spec).
static PyModuleDef netsimplex_module = {PyModuleDef_HEAD_INIT, "_netsimplex",
                                        "A network simplex that keeps its tree as arcs are added "
                                        "(used through ctypes, see matcher.netsimplex).",
                                        -1, nullptr};

PyMODINIT_FUNC PyInit__netsimplex(void) { return PyModule_Create(&netsimplex_module); }
