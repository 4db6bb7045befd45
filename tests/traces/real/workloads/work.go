// work.go: the Go workload of the corpus: grows slices and maps of words,
// drops them and runs the garbage collector, so that the runtime reserves
// its heap arenas, commits and returns pages (scavenger) and runs its GC
// workers on threads. Built with 'go build' and with 'gccgo'.
package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
)

func round(n int) int {
	counts := make(map[string]int)
	var words []string
	for i := 0; i < n; i++ {
		w := "w" + strconv.Itoa((i*7919)%100003)
		words = append(words, w)
		counts[w]++
	}
	sort.Strings(words)
	big := make([][]byte, 0, 64)
	for i := 0; i < 64; i++ {
		big = append(big, make([]byte, 1<<20))
		big[i][i] = byte(i)
	}
	return len(counts) + len(big) + len(words[0])
}

func main() {
	total := 0
	for r := 0; r < 4; r++ {
		total += round(500000)
		runtime.GC()
	}
	debug.FreeOSMemory()
	fmt.Println(total)
}
