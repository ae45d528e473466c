from staff.views import EmployeeViewSet


def register(router) -> None:
    router.register("employees", EmployeeViewSet, basename="employee")
