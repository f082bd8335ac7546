module memlens.test/expvar

go 1.19
