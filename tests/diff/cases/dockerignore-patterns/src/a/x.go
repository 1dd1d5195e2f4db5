src/a/x.go
