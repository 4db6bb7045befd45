my %count; my @words = map { "w" . ($_ * 7919 % 100003) } 1 .. 2000000;
$count{$_}++ for @words;
my @top = (sort { $count{$b} <=> $count{$a} || $a cmp $b } keys %count)[0 .. 9];
my $text = join(" ", @words); my $n = () = $text =~ /w1\d+/g;
print scalar(keys %count), " @top[0..2] $n\n";
