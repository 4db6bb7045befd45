import java.util.*;
public class WordCount {
	public static void main(String[] args) {
		int n = Integer.parseInt(args[0]);
		Map<String, Integer> counts = new HashMap<>();
		List<String> words = new ArrayList<>();
		for (int i = 0; i < n; i++) words.add("w" + ((long) i * 7919 % 100003));
		for (String w : words) counts.merge(w, 1, Integer::sum);
		List<Map.Entry<String, Integer>> e = new ArrayList<>(counts.entrySet());
		e.sort((a, b) -> b.getValue() - a.getValue() != 0 ? b.getValue() - a.getValue() : a.getKey().compareTo(b.getKey()));
		StringBuilder sb = new StringBuilder();
		for (Map.Entry<String, Integer> x : e) sb.append(x.getKey()).append(' ').append(x.getValue()).append('\n');
		System.out.println(counts.size() + " " + e.get(0).getKey() + " " + sb.length());
	}
}
