console.log("bench: todo")
