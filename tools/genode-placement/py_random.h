/*
 * py_random.h: the random numbers of CPython's random.Random(seed).
 *
 * The placement goldens were first drawn by a Python generator, so the
 * workloads draw through the same algorithm: Mersenne Twister MT19937
 * seeded by init_by_array() with the seed's 32-bit words, random() as 53
 * bits from two outputs, getrandbits(k) from the top bits of each output,
 * and _randbelow(n) by rejection over bit_length(n) bits. Only the calls the
 * workloads make are here.
 */
#ifndef GENODE_PLACEMENT_PY_RANDOM_H
#define GENODE_PLACEMENT_PY_RANDOM_H

#include <cstdint>

class Py_random
{
	public:

		explicit Py_random(uint32_t seed);

		uint32_t next_u32();

		/* random.random(): a double in [0, 1) with 53 random bits */
		double random();

		/* random.getrandbits(k) for 1 <= k <= 64 */
		uint64_t getrandbits(unsigned k);

		/*
		 * random._randbelow(n): uniform in [0, n). Python loops forever for
		 * n == 0; here that is a generator bug and aborts with a message.
		 */
		uint64_t randbelow(uint64_t n);

	private:

		enum { N = 624, M = 397 };

		uint32_t _mt[N];
		unsigned _index;

		void _init_genrand(uint32_t s);
		void _init_by_array(uint32_t const *key, unsigned len);
		void _refill();
};

#endif
