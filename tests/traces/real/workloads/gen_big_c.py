# Writes big.c: 1500 small functions and a main that calls them all, so
# that cc1 -O2 has a few seconds of real work.
with open("big.c", "w") as f:
    f.write("#include <string.h>\n")
    for i in range(1500):
        f.write(f"int f{i}(const char *s, int n) {{ int h = {i}; for (int j = 0; j < n; j++) "
                f"h = h * 31 + s[j] + (int)strlen(s + j) % {i + 7}; return h ^ {i * 7919}; }}\n")
    f.write("int main(int c, char **v) { int t = 0;\n")
    for i in range(1500):
        f.write(f" t += f{i}(v[0], c);\n")
    f.write(" return t & 1; }\n")
