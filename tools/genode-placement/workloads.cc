/*
 * workloads.cc: the six placement workloads.
 *
 * "worked" and "nested" are the worked examples of genode-semantics.md
 * (§2.3, §6.2). The four random ones reproduce the Python generator that
 * first made the goldens (it was not kept; its draws were reconstructed
 * from its output, see doc/model.md): they draw from Py_random in the same
 * order, so the same seed gives the same operations. Where its choices look
 * arbitrary (the probability bands, the free-block list seen one line
 * late), they are kept because the goldens depend on them. Only when
 * "churn" stops filling is this harness's own rule (Generator::_full).
 *
 * A random workload is a loop over output lines: every dump_every-th line is
 * a tree dump, every other line one operation. An operation is chosen by a
 * policy (Policy), then built:
 *   attach     a size from the size distribution, and with p_attach_at an
 *              explicit address of one of four kinds: near the end of the
 *              range, any byte, overlapping a live region, or a page either
 *              anywhere or inside a free block;
 *   detach     a live region's start, a byte or page inside it, or a "wild"
 *              address: inside a free block, past the end, or below the base.
 * The generator remembers live regions in attach order and forgets every
 * region that contains a detached address, as core does.
 */
#include "workloads.h"

#include "placement_oracle.h"
#include "py_random.h"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdlib>
#include <deque>

namespace {

	struct Region { uint64_t start, size; };

	using Free_blocks = std::vector<Placement_oracle::Free_block>;

	enum class Sizes { LOG_UNIFORM, INVERSE_SQUARE_PAGES };

	enum class Policy { TRIANGLE_TARGET, SINE_THRESHOLD, FILL_DRAIN };

	struct Params
	{
		uint32_t seed;
		uint64_t base, size;           /* the region map's range */
		Sizes    sizes;
		unsigned lo_bits, hi_bits;     /* LOG_UNIFORM: 2^lo .. 2^hi bytes */
		unsigned lines, dump_every;
		double   p_attach_at;
		Policy   policy;
		unsigned target_lo, target_hi, target_period;  /* TRIANGLE_TARGET */
	};

	class Generator
	{
		private:

			Params const      _p;
			std::FILE        *_out;
			Py_random         _rnd;
			Placement_oracle  _map { };
			uint64_t const    _end;
			std::vector<Region> _live { };
			Free_blocks       _free_now { }, _free_prev { };
			unsigned          _step = 0;
			bool              _draining = false;   /* FILL_DRAIN only */
			std::deque<bool>  _recent { };         /* FILL_DRAIN: last filling results */

			/* the original generator saw the free blocks one line late */
			Free_blocks const &_seen_free() const { return _free_prev; }

			uint64_t _size()
			{
				if (_p.sizes == Sizes::LOG_UNIFORM) {
					double x = _p.lo_bits + (double)(_p.hi_bits - _p.lo_bits) * _rnd.random();
					return (uint64_t)std::pow(2.0, x) & ~0xfffULL;
				}
				/*
				 * "skewed small": 1..16 pages with weights 1/k^2, as
				 * random.choices picks: the cumulative weights summed in
				 * order, bisect_right of random() * total over all but the last
				 */
				static std::vector<double> const cum = [] {
					std::vector<double> c;
					double sum = 0;
					for (unsigned k = 1; k <= 16; k++)
						c.push_back(sum += 1.0 / (double)(k * k));
					return c;
				}();
				double x = _rnd.random() * cum.back();
				auto i = std::upper_bound(cum.begin(), cum.end() - 1, x) - cum.begin();
				return 4096ULL * (uint64_t)(i + 1);
			}

			uint64_t _attach_at_address(uint64_t size)
			{
				double kind = _rnd.random();

				if (kind < 0.08) {
					/* at the end of the range, or 1/2, 1 or 3/2 sizes before it */
					uint64_t sel = _rnd.randbelow(4);
					return _end - sel * size / 2 + 4096 * _rnd.randbelow(16);
				}
				if (kind < 0.16)
					return _p.base + _rnd.randbelow(_p.size);
				if (kind < 0.36) {
					Region r = _live[_rnd.randbelow(_live.size())];
					int64_t at = (int64_t)r.start - (int64_t)size
					           + 4096 * (int64_t)_rnd.randbelow((r.size + size) / 4096 + 1);
					return at < 0 ? 0 : (uint64_t)at;
				}
				Free_blocks const &free = _seen_free();
				double coin = free.empty() ? 1.0 : _rnd.random();
				if (coin >= 0.5)
					return (_p.base + _rnd.randbelow(_p.size)) & ~0xfffULL;
				auto const &b = free[_rnd.randbelow(free.size())];
				return b.addr + 4096 * _rnd.randbelow(std::max<uint64_t>(1, b.size / 4096));
			}

			uint64_t _wild_address()
			{
				Free_blocks const &free = _seen_free();
				double coin = free.empty() ? 1.0 : _rnd.random();
				if (coin < 0.7) {
					auto const &b = free[_rnd.randbelow(free.size())];
					return b.addr + _rnd.randbelow(b.size);
				}
				if (_rnd.random() < 0.5)
					return _end + _rnd.randbelow(0x100000);
				return _rnd.randbelow(_p.base + 1);
			}

			uint64_t _detach_address(double inside, double wild)
			{
				double kind = _rnd.random();
				if (kind >= inside && kind < wild)
					return _wild_address();

				Region r = _live[_rnd.randbelow(_live.size())];
				if (kind >= wild)
					return r.start;
				if (r.size > 4096 && _rnd.random() < 0.7)
					return r.start + 4096 * (1 + _rnd.randbelow(r.size / 4096 - 1));
				return r.start + 1 + _rnd.randbelow(r.size - 1);
			}

			bool _attach(bool may_use_at)
			{
				bool use_at = may_use_at && _rnd.random() < _p.p_attach_at;
				uint64_t size = _size(), at = 0;
				bool ok;

				if (use_at) {
					at = _attach_at_address(size);
					ok = _map.attach_at(size, at);
					std::fprintf(_out, "attach_at 0x%" PRIx64 " 0x%" PRIx64 " -> ", size, at);
				} else {
					ok = _map.attach(size, &at);
					std::fprintf(_out, "attach 0x%" PRIx64 " -> ", size);
				}
				if (ok) {
					std::fprintf(_out, "0x%" PRIx64 "\n", at);
					_live.push_back({ at, size });
				} else {
					std::fprintf(_out, "CONFLICT\n");
				}
				return ok;
			}

			void _detach(double inside, double wild)
			{
				uint64_t at = _detach_address(inside, wild);
				_map.detach(at);
				std::fprintf(_out, "detach 0x%" PRIx64 "\n", at);
				_live.erase(std::remove_if(_live.begin(), _live.end(), [&] (Region const &r) {
					return r.start <= at && at < r.start + r.size; }), _live.end());
			}

			double _triangle_target() const
			{
				unsigned period = _p.target_period;
				double x = (double)(_step % (2 * period)) / (double)period;
				return _p.target_lo + (double)(_p.target_hi - _p.target_lo) * (x <= 1 ? x : 2 - x);
			}

			void _operation()
			{
				_step++;
				double u = _rnd.random();
				size_t n = _live.size();

				switch (_p.policy) {

				case Policy::TRIANGLE_TARGET:
					/* keep the number of regions near a target that rises and falls */
					if (u < 0.2 || (u < 0.85 && (double)n < _triangle_target()))
						_attach(true);
					else
						_detach(0.12, 0.24);
					return;

				case Policy::SINE_THRESHOLD:
					/* attach below a threshold swinging from 0.35 to 0.85 every 700 */
					if (n == 0 || u < 0.6 + 0.25 * std::sin(2 * M_PI * _step / 700))
						_attach(true);
					else
						_detach(0.12, 0.24);
					return;

				case Policy::FILL_DRAIN:
					/*
					 * Fill (attach 85 %) until _full, then drain (detach 90 %,
					 * no explicit addresses) until no region is left.
					 */
					if (_draining) {
						if (u >= 0.9)
							_attach(false);
						else
							_detach(0.08, 0.13);
						if (_live.empty()) {
							_draining = false;
							_recent.clear();
						}
						return;
					}
					bool conflict = false;
					if (n == 0 || u < 0.85)
						conflict = !_attach(true);
					else
						_detach(0.12, 0.24);
					_recent.push_back(conflict);
					if (_recent.size() > 21)
						_recent.pop_front();
					if (_full(_rnd.randbelow(25)))
						_draining = true;
					return;
				}
			}

			/*
			 * When filling stops. The original generator drew a number below
			 * 25 after every filling operation and stopped filling on a
			 * condition that could not be recovered from its output (see
			 * doc/model.md). This rule stops once more than 13 of the last 21
			 * filling operations conflicted, the likelier the more of them
			 * did; it ends the first filling phase where the original did.
			 */
			bool _full(uint64_t pressure) const
			{
				unsigned conflicts = (unsigned)std::count(_recent.begin(), _recent.end(), true);
				return 3 * pressure + 13 < conflicts;
			}

		public:

			Generator(Params const &p, std::FILE *out)
			: _p(p), _out(out), _rnd(p.seed), _end(p.base + p.size) { }

			void run()
			{
				std::fprintf(_out, "range 0x%" PRIx64 " 0x%" PRIx64 "\n", _p.base, _p.size);
				_map.add_range(_p.base, _p.size);
				_free_now = _map.free_blocks();

				for (unsigned line = 0; line < _p.lines; line++) {
					_free_prev = std::move(_free_now);
					_free_now = _map.free_blocks();
					if (line % _p.dump_every == _p.dump_every - 1)
						std::fprintf(_out, "dump -> %s\n", _map.dump().c_str());
					else
						_operation();
				}
			}
	};

	void run_params(Params const &p, std::FILE *out)
	{
		Generator(p, out).run();
	}

	/* A fixed sequence: the range, plain attaches, one dump. */
	void run_fixed(uint64_t size, std::vector<uint64_t> const &attaches, std::FILE *out)
	{
		Placement_oracle map;
		std::fprintf(out, "range 0x0 0x%" PRIx64 "\n", size);
		map.add_range(0, size);
		for (uint64_t s : attaches) {
			uint64_t at = 0;
			if (map.attach(s, &at))
				std::fprintf(out, "attach 0x%" PRIx64 " -> 0x%" PRIx64 "\n", s, at);
			else
				std::fprintf(out, "attach 0x%" PRIx64 " -> CONFLICT\n", s);
		}
		std::fprintf(out, "dump -> %s\n", map.dump().c_str());
	}
}

std::vector<Workload> const &workloads()
{
	static std::vector<Workload> const list = {
		{ "worked",
		  "seed none (fixed ops); worked example (a): 1 MiB map at 0x0, attach 4K, 8K, 4K, then dump",
		  [] (std::FILE *out) { run_fixed(0x100000, { 0x1000, 0x2000, 0x1000 }, out); } },
		{ "nested",
		  "seed none (fixed ops); worked example (b): 40 KiB map at 0x0, attach 24K (natural 16K "
		  "alignment), attach 16K (falls back to 4K alignment), then dump",
		  [] (std::FILE *out) { run_fixed(0xa000, { 0x6000, 0x4000 }, out); } },
		{ "small",
		  "seed 2; 1 MiB region map at 0x0, ~3000 mixed attach/attach_at/detach ops, sizes 4K..64K "
		  "skewed small, dump every 50 ops and at the end",
		  [] (std::FILE *out) { run_params({ 2, 0, 0x100000, Sizes::INVERSE_SQUARE_PAGES, 0, 0,
		                                     3000, 50, 0.25, Policy::SINE_THRESHOLD, 0, 0, 0 }, out); } },
		{ "large",
		  "seed 3; 1 GiB region map at 0x0, ~4000 mixed ops, sizes 4K..16M log-uniform, dump every 100 ops",
		  [] (std::FILE *out) { run_params({ 3, 0, 0x40000000, Sizes::LOG_UNIFORM, 12, 24,
		                                     4000, 100, 0.2, Policy::TRIANGLE_TARGET, 10, 240, 1000 }, out); } },
		{ "env",
		  "seed 4; hw x86_64 address space 0x2000..2^38, ~3000 mixed ops, sizes 4K..256M log-uniform, "
		  "dump every 100 ops",
		  [] (std::FILE *out) { run_params({ 4, 0x2000, 0x3fffffe000, Sizes::LOG_UNIFORM, 12, 28,
		                                     3000, 100, 0.3, Policy::TRIANGLE_TARGET, 10, 310, 750 }, out); } },
		{ "churn",
		  "seed 5; 16 MiB region map at 0x0, ~5000 ops cycling between filling to full (many conflicts) "
		  "and draining to empty, sizes 4K..1M log-uniform, dump every 100 ops",
		  [] (std::FILE *out) { run_params({ 5, 0, 0x1000000, Sizes::LOG_UNIFORM, 12, 20,
		                                     5000, 100, 0.15, Policy::FILL_DRAIN, 0, 0, 0 }, out); } },
	};
	return list;
}
