import json, zlib, collections, re
words = [("w%d" % (i * 7919 % 100003)) for i in range(2000000)]
counts = collections.Counter(words)
blob = json.dumps(counts).encode()
packed = zlib.compress(blob, 9)
print(len(blob), len(packed), len(re.findall(r"w1\d+", " ".join(words))))
