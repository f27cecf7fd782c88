module github.com/pave-go/pave

go 1.25
