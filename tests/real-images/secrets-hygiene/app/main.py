print("fixture app")
