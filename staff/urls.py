from staff.views import EmployeeViewSet, UserViewSet


def register(router) -> None:
    router.register("employees", EmployeeViewSet, basename="employee")
    router.register("users", UserViewSet, basename="user")
