/*
 * py_random.cc: MT19937 and the draws of CPython's random module
 * (Modules/_randommodule.c and Lib/random.py, unchanged since Python 3.2
 * for integer seeds).
 */
#include "py_random.h"

#include <cstdio>
#include <cstdlib>

Py_random::Py_random(uint32_t seed)
{
	/* random.seed(n) for 0 <= n < 2^32: the key is the one word n */
	_init_by_array(&seed, 1);
}

void Py_random::_init_genrand(uint32_t s)
{
	_mt[0] = s;
	for (unsigned i = 1; i < N; i++)
		_mt[i] = 1812433253U * (_mt[i - 1] ^ (_mt[i - 1] >> 30)) + i;
	_index = N;
}

void Py_random::_init_by_array(uint32_t const *key, unsigned len)
{
	_init_genrand(19650218U);
	unsigned i = 1, j = 0;
	for (unsigned k = (unsigned(N) > len ? unsigned(N) : len); k; k--) {
		_mt[i] = (_mt[i] ^ ((_mt[i - 1] ^ (_mt[i - 1] >> 30)) * 1664525U)) + key[j] + j;
		i++;
		j++;
		if (i >= N) {
			_mt[0] = _mt[N - 1];
			i = 1;
		}
		if (j >= len)
			j = 0;
	}
	for (unsigned k = N - 1; k; k--) {
		_mt[i] = (_mt[i] ^ ((_mt[i - 1] ^ (_mt[i - 1] >> 30)) * 1566083941U)) - i;
		i++;
		if (i >= N) {
			_mt[0] = _mt[N - 1];
			i = 1;
		}
	}
	_mt[0] = 0x80000000U;
	_index = N;
}

void Py_random::_refill()
{
	static uint32_t const mag01[2] = { 0, 0x9908b0dfU };
	unsigned k = 0;
	uint32_t y;

	for (; k < N - M; k++) {
		y = (_mt[k] & 0x80000000U) | (_mt[k + 1] & 0x7fffffffU);
		_mt[k] = _mt[k + M] ^ (y >> 1) ^ mag01[y & 1];
	}
	for (; k < N - 1; k++) {
		y = (_mt[k] & 0x80000000U) | (_mt[k + 1] & 0x7fffffffU);
		_mt[k] = _mt[k + M - N] ^ (y >> 1) ^ mag01[y & 1];
	}
	y = (_mt[N - 1] & 0x80000000U) | (_mt[0] & 0x7fffffffU);
	_mt[N - 1] = _mt[M - 1] ^ (y >> 1) ^ mag01[y & 1];
	_index = 0;
}

uint32_t Py_random::next_u32()
{
	if (_index >= N)
		_refill();

	uint32_t y = _mt[_index++];
	y ^= y >> 11;
	y ^= (y << 7) & 0x9d2c5680U;
	y ^= (y << 15) & 0xefc60000U;
	y ^= y >> 18;
	return y;
}

double Py_random::random()
{
	uint32_t a = next_u32() >> 5, b = next_u32() >> 6;
	return (a * 67108864.0 + b) * (1.0 / 9007199254740992.0);
}

uint64_t Py_random::getrandbits(unsigned k)
{
	if (k == 0 || k > 64) {
		std::fprintf(stderr, "genode-placement: getrandbits(%u) is out of range\n", k);
		std::abort();
	}
	if (k <= 32)
		return next_u32() >> (32 - k);

	/* as CPython: the first output is the low word, the last is cut at the top */
	uint64_t low = next_u32();
	uint64_t high = next_u32() >> (64 - k);
	return low | (high << 32);
}

uint64_t Py_random::randbelow(uint64_t n)
{
	if (n == 0) {
		std::fprintf(stderr, "genode-placement: randbelow(0) would never return\n");
		std::abort();
	}
	unsigned k = 64 - __builtin_clzll(n);   /* n.bit_length() */
	uint64_t r = getrandbits(k);
	while (r >= n)
		r = getrandbits(k);
	return r;
}
