from staff.views import EmployeeViewSet, QualificationEventViewSet, UserViewSet, WelderQualificationViewSet


def register(router) -> None:
    router.register("employees", EmployeeViewSet, basename="employee")
    router.register("users", UserViewSet, basename="user")
    router.register("qualifications", WelderQualificationViewSet, basename="welderqualification")
    router.register("qualification-events", QualificationEventViewSet, basename="qualificationevent")
