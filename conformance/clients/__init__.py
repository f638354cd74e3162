"""Client mode (issue 15): rtconform plays the server side of each case and judges the client under test."""
