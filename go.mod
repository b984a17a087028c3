module github.com/drainsim/drainsim

go 1.25
